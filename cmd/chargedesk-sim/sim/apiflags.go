package sim

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultAPIURL is serve's API at its default --addr.
const defaultAPIURL = "http://127.0.0.1:8090/v1"

// apiFlags are the flags of the commands that call a local ChargeDesk's
// API (events resend, listen): as the chargedesk command's, with
// $CHARGEDESK_API_URL and $CHARGEDESK_API_KEY as their fallbacks.
type apiFlags struct{ url, key string }

// add adds --api-url and --api-key to fs.
func (f *apiFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.url, "api-url", defaultAPIURL, "the local ChargeDesk's API `URL`, as serve prints it (or $CHARGEDESK_API_URL)")
	fs.StringVar(&f.key, "api-key", "", "its API `key`, as serve prints it (or $CHARGEDESK_API_KEY)")
}

// resolve fills the flags the command line did not set from the
// environment, and refuses a missing key or a URL that is not http(s).
func (f *apiFlags) resolve(c *cobra.Command) error {
	if !c.Flags().Changed("api-url") {
		if u := os.Getenv("CHARGEDESK_API_URL"); u != "" {
			f.url = u
		}
	}
	if !c.Flags().Changed("api-key") {
		f.key = os.Getenv("CHARGEDESK_API_KEY")
	}
	switch {
	case f.key == "":
		return usagef("no API key: set CHARGEDESK_API_KEY (or --api-key) to the key serve printed")
	case !isHTTPURL(f.url):
		return usagef("--api-url must be an http(s) URL, such as %s", defaultAPIURL)
	}
	return nil
}
