package sim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/chargedesk/chargedesk-go/api/apitest"
	"github.com/chargedesk/chargedesk-go/events"
)

// The console's page of event deliveries (/events): the delivery log of
// the event notifications the local ChargeDesk sent to the webhooks
// registered through its API, each with a button that resends it. The
// resend goes through the API's own operation (POST
// /v1/events/{id}/resend), behind the same guard and CSRF token as the
// agent actions.

// deliveryRow is one delivery as the page shows it.
type deliveryRow struct {
	apitest.Delivery
	// Time is the last attempt's, or the event's when none was made.
	Time stamp
	// Next is when the next attempt is due; empty unless pending.
	Next stamp
	// Answer is the last answer: "HTTP 500", why none came, or "".
	Answer string
	// Page is the console page of the event's object; "" when it has
	// none (a deleted charge).
	Page string
}

// deliveryRows are the log's deliveries as the page shows them.
func deliveryRows(log []apitest.Delivery) []deliveryRow {
	rows := make([]deliveryRow, 0, len(log))
	for _, d := range log {
		r := deliveryRow{Delivery: d, Time: stampOf(d.Created)}
		if !d.LastAttempt.IsZero() {
			r.Time = stampOf(d.LastAttempt)
		}
		if !d.NextAttempt.IsZero() {
			r.Next = stampOf(d.NextAttempt)
		}
		switch {
		case d.Status != 0:
			r.Answer = "HTTP " + strconv.Itoa(d.Status)
		case d.Error != "":
			r.Answer = d.Error
		}
		switch {
		case d.Event == events.ChargeDeleted:
		case d.Class == events.ClassCharge:
			r.Page = "/charges/" + url.PathEscape(d.ObjectID)
		case d.Class == events.ClassCustomer:
			r.Page = "/customers/" + url.PathEscape(d.ObjectID)
		}
		rows = append(rows, r)
	}
	return rows
}

// stampOf is a time as the console shows it.
func stampOf(t time.Time) stamp { return logTime(t.Unix()) }

// deliveries shows the delivery log.
func (c *console) deliveries(w http.ResponseWriter, r *http.Request) {
	d := &pageData{Kind: "events", Deliveries: deliveryRows(c.api.Deliveries()), Dropped: c.api.DroppedDeliveries()}
	c.mu.Lock()
	d.Result = c.resent
	c.mu.Unlock()
	d.Fresh = d.Result != nil && r.URL.Query().Get("result") == strconv.FormatUint(d.Result.Seq, 10)
	if !d.Fresh {
		d.Result = nil // a resend's result is shown once, as its answer
	}
	c.render(w, http.StatusOK, d)
}

// resend resends an event to the webhook the form names, through the
// API, and shows the log again with what came of it (POST, redirect,
// GET).
func (c *console) resend(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form is too large or malformed", http.StatusRequestEntityTooLarge)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(c.csrf)) != 1 {
		http.Error(w, "The form is stale: reload the page", http.StatusForbidden)
		return
	}
	id, hook := r.PathValue("id"), r.PostForm.Get("webhook")
	status, body := c.call("/events/"+url.PathEscape(id)+"/resend", url.Values{"webhook": {hook}})
	res := &result{Action: "resend", OK: status == http.StatusOK}
	if res.OK {
		res.Message = fmt.Sprintf("%s is being sent again to %s.", id, hook)
	} else {
		var answer struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &answer)
		res.Message = answer.Error.Message
		if res.Message == "" {
			res.Message = fmt.Sprintf("The local API answered HTTP %d.", status)
		}
	}
	c.mu.Lock()
	c.seq++
	res.Seq = c.seq
	c.resent = res
	c.mu.Unlock()
	http.Redirect(w, r, "/events?result="+strconv.FormatUint(res.Seq, 10), http.StatusSeeOther)
}
