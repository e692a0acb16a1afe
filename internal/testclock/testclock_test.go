package testclock

import (
	"os"
	"testing"
	"time"
)

// The date follows CHARGEDESK_TEST_NOW, so that CI's runs at other dates
// really move every clock the tests hand out.
func TestNowFollowsTheEnvironment(t *testing.T) {
	v := os.Getenv(Env)
	if v == "" {
		if d := time.Since(Now()); d < 0 || d > time.Hour {
			t.Fatalf("without %s, Now is %s, not today", Env, Now())
		}
		return
	}
	want, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatal(err)
	}
	if !Now().Equal(want) {
		t.Fatalf("Now is %s, not %s=%s", Now(), Env, v)
	}
	if got := Clock()(); got.Sub(want) < 0 || got.Sub(want) > time.Hour {
		t.Fatalf("Clock reads %s, not about %s", got, want)
	}
}
