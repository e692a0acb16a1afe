package chargedesk_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chargedesk/chargedesk-go"
	"github.com/stretchr/testify/require"
)

// A PHP curl call that forgets its Content-Type header sends JSON labelled
// as a form: it is decoded as the JSON it is.
func TestJSONBodyWithAFormContentType(t *testing.T) {
	gw := &fakeGateway{}
	h := newHandler(t, gw, nil)
	for _, body := range [][]byte{readRequest(t, chargedesk.ActionRefund), append([]byte("\n  "), readRequest(t, chargedesk.ActionRefund)...)} {
		r := webhook("/chargedesk/refund", body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
		gw = &fakeGateway{}
		h = newHandler(t, gw, nil)
	}
}
