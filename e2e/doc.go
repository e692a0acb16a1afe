// Package e2e holds the end-to-end tests that drive a real browser against
// the local ChargeDesk's agent console. It is its own module, so that the
// library does not depend on a browser driver.
//
// The tests need Debian's chromium (or CHARGEDESK_TEST_CHROMIUM naming a
// Chromium binary); without one they skip, naming it, unless
// CHARGEDESK_REQUIRE_BROWSER is set, as .ci/run sets it, when they fail.
package e2e
