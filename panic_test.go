package chargedesk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
)

// evil panics whenever it is described.
type evil struct{}

func (evil) Error() string                { panic("Error panicked too") }
func (evil) MarshalJSON() ([]byte, error) { panic("MarshalJSON panicked too") }

// A panic that panics again, even with no middleware at all, still gets a
// JSON 500, and the log line keeps the outcome and the stack.
func TestPanicThatPanicsAgain(t *testing.T) {
	for name, gateway := range map[string]func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error){
		"panics with it":  func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { panic(evil{}) },
		"returns it":      func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { return nil, evil{} },
		"panics with nil": func(context.Context, chargedesk.Action, any) (*chargedesk.Response, error) { panic(error(nil)) },
	} {
		t.Run(name, func(t *testing.T) {
			logs := &chargedesk.LogBuffer{}
			h := newHandler(t, &fakeGateway{Answer: gateway}, func(cfg *chargedesk.Config) {
				l := zerolog.New(logs)
				cfg.Logger = &l
				cfg.Middleware = []func(http.Handler) http.Handler{}
			})
			rec := httptest.NewRecorder()
			require.NotPanics(t, func() { h.ServeHTTP(rec, webhook("/chargedesk/refund", readRequest(t, chargedesk.ActionRefund))) })
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Contains(t, errorMessage(t, rec), "outcome is unknown")
			_, lines := logs.Lines(t)
			var line map[string]any
			for _, l := range lines {
				if l["message"] == "webhook" {
					line = l
				}
			}
			require.NotNil(t, line, "the webhook's line is written: %v", lines)
			assert.Equal(t, "error", line["outcome"])
			if name == "panics with it" {
				assert.NotEmpty(t, line["stack"], "the panic is logged with its stack")
				assert.Equal(t, "a chargedesk_test.evil whose description panicked", line["panic"])
			}
		})
	}
}
