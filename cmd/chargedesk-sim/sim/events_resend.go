package sim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

// newEventsCmd returns the events group: the local ChargeDesk's event
// notifications.
func newEventsCmd(colors cli.Palette) *cobra.Command {
	cmd := cli.Group(&cobra.Command{
		Use:   "events <command> [flags]",
		Short: "Work with the local ChargeDesk's event notifications",
	})
	cmd.AddCommand(newResendCmd(colors))
	return cmd
}

// apiTimeout bounds a call to the local ChargeDesk's API.
const apiTimeout = 10 * time.Second

func newResendCmd(colors cli.Palette) *cobra.Command {
	var (
		af      apiFlags
		webhook string
	)
	cmd := &cobra.Command{
		Use:   "resend <event_id> [flags]",
		Short: "Deliver an event of the local ChargeDesk again",
		Long: `Deliver an event of a local ChargeDesk (chargedesk-sim serve) again, now, to
every webhook it went to (or --webhook's), whatever came of it before: a new
schedule of hourly retries begins. The event ids are in the console's event
deliveries (/events) and in the events' event_id. The local ChargeDesk's
own API operation does it (POST /v1/events/{id}/resend); ChargeDesk's API
has none.

Exit status: 0 when the event is being sent again, 1 when the local
ChargeDesk refused (no such event, or its webhooks are deleted or
disabled), 2 when the command line is wrong.`,
		Example: `  CHARGEDESK_API_KEY=sk_local_... chargedesk-sim events resend event-000003
  chargedesk-sim events resend event-000003 --webhook wh-000001 --api-url http://127.0.0.1:8090/v1`,
		Args: cli.ExactArgs(1, "an event id"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := af.resolve(c); err != nil {
				return err
			}
			return resend(c.Context(), af, args[0], webhook, c.OutOrStdout(), colors)
		},
	}
	af.add(cmd.Flags())
	cmd.Flags().StringVar(&webhook, "webhook", "", "resend to this webhook `id` only")
	return cmd
}

// resend asks the local ChargeDesk to deliver the event again and prints
// its answer.
func resend(ctx context.Context, af apiFlags, id, webhook string, stdout io.Writer, colors cli.Palette) error {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	form := url.Values{}
	if webhook != "" {
		form.Set("webhook", webhook)
	}
	target := strings.TrimSuffix(af.url, "/") + "/events/" + url.PathEscape(id) + "/resend"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return usagef("--api-url: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(af.key+":")))
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return fmt.Errorf("the local ChargeDesk at %s was not reached: %w", af.url, unwrapURL(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var answer struct {
		ResentTo []string `json:"resent_to"`
		Error    struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &answer)
	switch {
	case resp.StatusCode == http.StatusOK:
		fmt.Fprintf(stdout, "%s %s is being sent again to %s\n", colors.Green("✔"), id, strings.Join(answer.ResentTo, ", "))
		return nil
	case resp.StatusCode == http.StatusNotFound && answer.Error.Message == "Unrecognized request URL":
		return fmt.Errorf("%s has no event resend: is it a local ChargeDesk (chargedesk-sim serve)? check --api-url", af.url)
	case answer.Error.Message != "":
		fmt.Fprintf(stdout, "%s %s was not resent (HTTP %d): %s\n", colors.Red("✘"), id, resp.StatusCode, answer.Error.Message)
	default:
		fmt.Fprintf(stdout, "%s %s was not resent (HTTP %d)\n", colors.Red("✘"), id, resp.StatusCode)
	}
	return cli.Exit(cli.ExitFailed)
}

// unwrapURL is a client's error without the URL its text names.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
