package sim

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/chargedesktest"
	"github.com/chargedesk/chargedesk-go/events"
)

// The example events trigger sends. ChargeDesk's webhooks page shows one
// example, a charge_paid, whose charge is the charge object of the Custom
// Integration page's examples (the refund payload's, byte for byte: a test
// holds it to events/testdata/charge_paid.json). Every charge event is that
// charge, changed where the event says it must be (a refund refunds it, a
// payment request is invoiced and unpaid, ...). ChargeDesk shows no
// customer example: customer events carry exampleCustomer, the customer
// the API's answers have been seen to hold (events/testdata/customer_updated.json).

// exampleCustomer is the customer object of the customer events, in
// ChargeDesk's PHP shapes (0/1, "1", [] for an empty object).
const exampleCustomer = `{"customer_id":"cus-example-RLf9f6T6Ok","email":"jane@example.com","name":"Jane Doe",` +
	`"phone":null,"username":"jane","country":"US","customer_company":"","website":"","description":"",` +
	`"delinquent":0,"card_on_file":"1","tax_number":"","billing_address":[],"invoice_details":"","metadata":[],` +
	`"object":"customer","company":"company-example"}`

// chargeChanges are the changes each charge event makes to the documented
// charge, which is paid and not refunded; an event not listed carries it
// as it is.
var chargeChanges = map[events.Name][]chargedesktest.Override{
	events.ChargeRequest:         unpaid("invoiced"),
	events.ChargeRequestReminder: unpaid("invoiced"),
	events.ChargeFailed:          unpaid("failed"),
	events.ChargeDisputed:        unpaid("disputed"),
	events.ChargeRefunded: {
		chargedesktest.SetString("data.charge.amount_refunded", "34.00"),
		chargedesktest.SetString("data.charge.amount_refunded_formatted", "$34.00 USD"),
		chargedesktest.SetString("data.charge.status", string(chargedesk.ChargeStatusRefunded)),
		chargedesktest.SetString("data.charge.status_text", string(chargedesk.ChargeStatusRefunded)),
	},
}

// unpaid is the changes that make the documented charge one of status,
// not paid.
func unpaid(status string) []chargedesktest.Override {
	return []chargedesktest.Override{
		chargedesktest.SetString("data.charge.status", status),
		chargedesktest.SetString("data.charge.status_text", status),
		chargedesktest.Set("data.charge.is_paid", "false"),
	}
}

// exampleEvent returns the example event name, as compact JSON in the
// page's key order, with the id and time given. It fails for a name that
// is not one of events.Names().
func exampleEvent(name events.Name, id string, created int64) ([]byte, error) {
	if !name.Known() {
		return nil, fmt.Errorf("%q is not a documented event", name)
	}
	var object json.RawMessage
	switch name.Class() {
	case events.ClassCharge:
		refund, err := chargedesktest.Payload(chargedesk.ActionRefund)
		if err != nil {
			return nil, err
		}
		var p struct {
			Charge json.RawMessage `json:"charge"`
		}
		if err := json.Unmarshal(refund, &p); err != nil {
			return nil, err
		}
		object = p.Charge
	default:
		object = json.RawMessage(exampleCustomer)
	}
	quoted, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"event_id":%s,"created":%d,"class":%q,"event":%q,"data":{%q:`,
		quoted, created, name.Class(), name, name.Class())
	if err := json.Compact(&b, object); err != nil {
		return nil, err
	}
	b.WriteString("}}")
	return chargedesktest.Apply(b.Bytes(), chargeChanges[name]...)
}
