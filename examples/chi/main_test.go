package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
)

func TestMounted(t *testing.T) {
	const secret = "mount-test-secret-0123456789"
	app, err := newRouter(secret, zerolog.Nop())
	require.NoError(t, err)

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	assert.Equal(t, http.StatusOK, rec.Code, "the application's own routes still work")

	body, err := chargedesktest.Build(chargedesk.ActionRefund)
	require.NoError(t, err)
	for _, tt := range []struct {
		name   string
		auth   string
		action chargedesk.Action
		status int
	}{
		{"refund", "Bearer " + secret, chargedesk.ActionRefund, http.StatusOK},
		{"wrong secret", "Bearer " + secret + "x", chargedesk.ActionRefund, http.StatusUnauthorized},
		{"not enabled", "Bearer " + secret, chargedesk.ActionVoid, http.StatusNotImplemented},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := chargedesktest.Integration{BasePath: "/chargedesk", Header: http.Header{"Authorization": {tt.auth}}}
			req, err := in.NewRequest(context.Background(), tt.action, body)
			require.NoError(t, err)
			out := chargedesktest.Serve(app, req)
			assert.Equal(t, tt.status, out.Status, out.Body)
			assert.Empty(t, out.Problems)
		})
	}
}

func TestMissingSecret(t *testing.T) {
	_, err := newRouter("", zerolog.Nop())
	var ce *chargedesk.ConfigError
	require.ErrorAs(t, err, &ce)
}
