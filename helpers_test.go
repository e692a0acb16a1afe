package chargedesk_test

import "github.com/chargedesk/chargedesk-go"

// fakeGateway is the tests' one fake Gateway (fake_test.go).
type fakeGateway = chargedesk.FakeGateway
