// Package e2e holds the end-to-end tests that drive a real browser against
// the local ChargeDesk's agent console. It is its own module, so that the
// library does not depend on a browser driver.
//
// The tests need Debian's chromium (or CHARGEDESK_TEST_CHROMIUM naming a
// Chromium binary), and the accessibility checks axe-core's axe.min.js
// (CHARGEDESK_TEST_AXE naming it; .ci/run installs axe-core from the npm
// registry); without them they skip, naming what is missing, unless
// CHARGEDESK_REQUIRE_BROWSER is set, as .ci/run sets it, when they fail.
// CHARGEDESK_CONSOLE_SCREENSHOT, when set, is where TestConsoleRefund
// writes docs/console.png.
package e2e
