package sim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/chargedesk/chargedesk-go"
)

// consoleAction is one agent action as the console offers it: the page
// that offers it, its form, the records it can apply to, and the API
// operation that performs it. Its URL is the record's page followed by the
// action's default path (/charges/{id}/refund, /subscriptions/{id}/edit-plans),
// so the library's action table names it; console_test.go fails when an
// action of chargedesk.Actions() has no entry here.
type consoleAction struct {
	// Action is the library's action.
	Action chargedesk.Action
	// Page is the kind of record whose page offers the action.
	Page string
	// Label heads its form and its confirmation: "Refund".
	Label string
	// Button is its submit button's text.
	Button string
	// Destructive actions are confirmed on a page of their own first.
	Destructive bool
	// Warning is what the confirmation says cannot be taken back.
	Warning string
	// Controls are its form's fields, in order.
	Controls []control

	// api is the API operation that performs it; %s is the record's id.
	api string
	// statuses are the record statuses it applies to; nil means any.
	statuses []string
	// notStatuses are the record statuses it does not apply to.
	notStatuses []string
	// needs says which records it applies to, for the agent: "a paid or
	// partially refunded charge".
	needs string
	// fixed, when set, are parameters the operation always takes for the
	// record id, beside the controls'.
	fixed func(id string) url.Values
	// params, when set, turns the form into the API operation's
	// parameters instead of copying each control with a Param.
	params func(form url.Values) url.Values
}

// control is one field of an action's form.
type control struct {
	// Name is the form field's name.
	Name string
	// Label is its visible label.
	Label string
	// Kind is "text", "amount" (a decimal text field), "select" or
	// "textarea".
	Kind string
	// Options are a select's choices, the first one selected.
	Options []option
	// Value is the field's initial value.
	Value string
	// Hint, shown under the field, says what a blank field means or how
	// to fill it; it is the field's accessible description.
	Hint string
	// Blank is what the confirmation shows for a field left blank.
	Blank string
	// Param is the API parameter the field's trimmed value goes to, when
	// not blank; "" when the action's params reads it.
	Param string
}

// option is one choice of a select.
type option struct{ Value, Label string }

// consoleActions are the actions the console offers, in the order of the
// library's action table. It is never changed.
var consoleActions = []*consoleAction{
	{
		Action: chargedesk.ActionRefund, Page: "charges", Label: "Refund", Button: "Refund",
		Destructive: true, Warning: "A refund sends money back to the customer; it cannot be taken back.",
		api:      "/gateway/charges/%s/refund",
		statuses: []string{string(chargedesk.ChargeStatusPaid), string(chargedesk.ChargeStatusPartiallyRefunded)},
		needs:    "a paid or partially refunded charge",
		Controls: []control{
			{Name: "amount", Label: "Amount", Kind: "amount", Param: "amount",
				Hint: "Leave blank to refund all that remains.", Blank: "all that remains"},
			{Name: "reason", Label: "Reason", Kind: "text", Param: "log_reason"},
		},
	},
	{
		Action: chargedesk.ActionCapture, Page: "charges", Label: "Capture", Button: "Capture",
		Destructive: true, Warning: "Capturing takes the money from the customer; what is not captured is released.",
		api:      "/gateway/charges/%s/capture",
		statuses: []string{string(chargedesk.ChargeStatusAuthorized)},
		needs:    "an authorized charge",
		Controls: []control{
			{Name: "amount", Label: "Amount", Kind: "amount", Param: "amount",
				Hint: "Leave blank to capture all that was authorized.", Blank: "all that was authorized"},
		},
	},
	{
		Action: chargedesk.ActionVoid, Page: "charges", Label: "Void", Button: "Void",
		Destructive: true, Warning: "A voided charge can no longer be captured.",
		api:      "/gateway/charges/%s/void",
		statuses: []string{string(chargedesk.ChargeStatusAuthorized)},
		needs:    "an authorized charge",
	},
	{
		Action: chargedesk.ActionCancel, Page: "subscriptions", Label: "Cancel", Button: "Cancel subscription",
		Destructive: true, Warning: "A canceled subscription cannot be reactivated, and a refund cannot be taken back.",
		api:         "/gateway/subscriptions/%s/cancel",
		notStatuses: []string{string(chargedesk.SubscriptionStatusCanceled)},
		needs:       "a subscription that is not canceled",
		Controls: []control{
			{Name: "mode", Label: "How", Kind: "select", Param: "action", Options: []option{
				{"cancel", "Cancel (default)"}, {"cancel-immediately", "Cancel immediately"},
				{"cancel-period-end", "Cancel at period end"}, {"suspend", "Suspend"}}},
			{Name: "refund", Label: "Refund", Kind: "select", Param: "refund", Options: []option{
				{"none", "No refund"}, {"partial", "Partial refund"}, {"full", "Full refund"}},
				Hint: "A refund comes only with cancel immediately."},
			{Name: "reason", Label: "Reason", Kind: "text", Param: "log_reason"},
		},
	},
	{
		Action: chargedesk.ActionReactivate, Page: "subscriptions", Label: "Reactivate", Button: "Reactivate",
		api: "/gateway/subscriptions/%s/reactivate",
		statuses: []string{string(chargedesk.SubscriptionStatusSuspended),
			string(chargedesk.SubscriptionStatusPendingCancel)},
		needs: "a suspended subscription or one pending cancellation",
	},
	{
		Action: chargedesk.ActionEditPlans, Page: "subscriptions", Label: "Edit plans", Button: "Save plans",
		api:         "/gateway/subscriptions/%s/plans",
		notStatuses: []string{string(chargedesk.SubscriptionStatusCanceled)},
		needs:       "a subscription that is not canceled",
		Controls: []control{
			{Name: "plans", Label: "Plans", Kind: "textarea",
				Hint: "One plan a line: its product id, then a quantity (1 when left out)."},
		},
		params: plansParams,
	},
	{
		Action: chargedesk.ActionRequestPayment, Page: "customers", Label: "Request payment", Button: "Request payment",
		api: "/gateway/products/charge",
		Controls: []control{
			{Name: "amount", Label: "Amount", Kind: "amount", Param: "amount"},
			{Name: "currency", Label: "Currency", Kind: "text", Value: "USD", Param: "currency"},
			{Name: "description", Label: "Description", Kind: "text", Param: "description"},
		},
		fixed: func(id string) url.Values { return url.Values{"using": {"invoice"}, "customer[id]": {id}} },
	},
}

// consoleActionFor is the action a page offers at op, the action's
// default path without its slash; nil when there is none.
func consoleActionFor(page, op string) *consoleAction {
	for _, a := range consoleActions {
		if a.Page == page && a.Op() == op {
			return a
		}
	}
	return nil
}

// consoleActionsOf are the actions a page offers, applicable or not.
func consoleActionsOf(page string) []*consoleAction {
	var out []*consoleAction
	for _, a := range consoleActions {
		if a.Page == page {
			out = append(out, a)
		}
	}
	return out
}

// Op is the action's last URL segment: its default path without the
// slash.
func (a *consoleAction) Op() string { return strings.TrimPrefix(a.Action.DefaultPath(), "/") }

// URL is where the action's form posts for the record id.
func (a *consoleAction) URL(id string) string {
	return "/" + a.Page + "/" + url.PathEscape(id) + a.Action.DefaultPath()
}

// appliesTo reports whether the action can apply to a record of status.
func (a *consoleAction) appliesTo(status string) bool {
	if a.statuses != nil && !slices.Contains(a.statuses, status) {
		return false
	}
	return !slices.Contains(a.notStatuses, status)
}

// refusal is the agent's message when the action does not apply to a
// record of status.
func (a *consoleAction) refusal(object, status string) string {
	if status == "" {
		status = "without a status"
	}
	return fmt.Sprintf("%s needs %s; this %s is %s.", a.Label, a.needs, object, status)
}

// apiPath is the API operation's path for the record id.
func (a *consoleAction) apiPath(id string) string {
	if strings.Contains(a.api, "%s") {
		return fmt.Sprintf(a.api, url.PathEscape(id))
	}
	return a.api
}

// paramsFor turns the action's form into the API operation's parameters.
func (a *consoleAction) paramsFor(id string, form url.Values) url.Values {
	if a.params != nil {
		return a.params(form)
	}
	out := url.Values{}
	if a.fixed != nil {
		out = a.fixed(id)
	}
	for _, c := range a.Controls {
		if v := strings.TrimSpace(form.Get(c.Name)); v != "" && c.Param != "" {
			out.Set(c.Param, v)
		}
	}
	return out
}

// plansParams turns the plans field, a product id and an optional
// quantity a line, into the API's plans[i][id] and plans[i][quantity].
func plansParams(form url.Values) url.Values {
	out := url.Values{}
	i := 0
	for line := range strings.SplitSeq(form.Get("plans"), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		out.Set(fmt.Sprintf("plans[%d][id]", i), fields[0])
		if len(fields) > 1 {
			out.Set(fmt.Sprintf("plans[%d][quantity]", i), fields[1])
		}
		i++
	}
	return out
}

// summary is what the confirmation shows of a submitted form: each
// control's label and its value as chosen (a select's choice by its
// label, a blank field by its Blank text).
func (a *consoleAction) summary(form url.Values) [][2]string {
	var out [][2]string
	for _, c := range a.Controls {
		v := strings.TrimSpace(form.Get(c.Name))
		for _, o := range c.Options {
			if o.Value == v {
				v = o.Label
			}
		}
		if v == "" {
			v = c.Blank
		}
		if v != "" {
			out = append(out, [2]string{c.Label, v})
		}
	}
	return out
}
