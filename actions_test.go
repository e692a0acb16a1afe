package chargedesk

import (
	"context"
	"reflect"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestActionTableIsComplete walks every action and fails when its entry in
// actionTable, or its request type, leaves out anything the handler needs:
// a forgotten piece would otherwise fail silently (an action run without a
// lock, every webhook of it a "duplicate" of the last).
func TestActionTableIsComplete(t *testing.T) {
	require.Len(t, actionTable, len(Actions()))
	keys := map[string]Action{}
	types := map[reflect.Type]Action{}
	for _, action := range Actions() {
		t.Run(string(action), func(t *testing.T) {
			def := definition(action)
			require.NotNil(t, def, "no table entry")
			assert.True(t, action.Valid())
			assert.NotEmpty(t, def.plural, "how the agent names it")
			assert.Contains(t, []subject{subjectCharge, subjectSubscription}, def.subject)
			require.NotNil(t, def.newRequest)
			require.NotNil(t, def.call)

			req := def.newRequest()
			typ := reflect.TypeOf(req)
			other, shared := types[typ]
			assert.False(t, shared, "%s shares its request type with %s", typ, other)
			types[typ] = action

			// The documented payload fills it, with the raw webhook.
			env, err := decodeEnvelope(payloadFixture(t, action))
			require.NoError(t, err)
			raw := Raw{Body: []byte("{}")}
			req = requestFor(env, action, raw)
			assert.Equal(t, raw, reflect.ValueOf(req).Elem().FieldByName("Raw").Interface(), "received sets Raw")

			// Its objects are locked; the subject is among them.
			charge, sub := req.objects()
			switch def.subject {
			case subjectCharge:
				assert.NotNil(t, charge, "a charge action acts on its charge")
			case subjectSubscription:
				assert.NotNil(t, sub, "a subscription action acts on its subscription")
			}
			assert.NotEmpty(t, lockKeys(req), "the action would run without a lock")

			// It validates.
			assert.NoError(t, validateRequest(req))

			// Its identity is its own: no two actions share a duplicate key.
			key := duplicateKey(action, req)
			assert.Len(t, key, 64)
			other, dup := keys[key]
			assert.False(t, dup, "same duplicate key as %s", other)
			keys[key] = action
			assert.Equal(t, key, duplicateKey(action, req), "the key is stable")

			// Its log fields name its objects.
			var buf LogBuffer
			log := zerolog.New(&buf)
			annotate(&log, req)
			log.Info().Msg("")
			if charge != nil {
				assert.Contains(t, buf.String(), `"charge_id":"`+charge.ChargeID+`"`)
			}
			if sub != nil {
				assert.Contains(t, buf.String(), `"subscription_id":"`+sub.SubscriptionID+`"`)
			}

			// Its call reaches its own Gateway method with the request.
			gw := &FakeGateway{}
			answer, err := def.call(context.Background(), gw, req)
			require.NoError(t, err)
			require.Len(t, gw.Calls(), 1)
			assert.Equal(t, action, gw.Calls()[0].Action)
			assert.Same(t, req, gw.Calls()[0].Req)
			_, _, err = settleAnswer(answer, req)
			assert.NoError(t, err)

			// The agent's messages name it.
			assert.NotEqual(t, "These actions", action.describe())
		})
	}
}
