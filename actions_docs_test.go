package chargedesk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The action table is the one list of actions: everything that lists them
// elsewhere is checked against it, so a new action that is forgotten in a
// table, a payload or the docs fails here.
func TestEveryActionIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	simulator, err := os.ReadFile(filepath.Join("docs", "simulator.md"))
	require.NoError(t, err)
	for _, def := range actionTable {
		a := def.action
		name := strings.ReplaceAll(string(a), "-", " ")
		assert.Contains(t, string(readme), "| "+name+" (`"+a.DefaultPath()+"`) |", "README's actions table lists %s", a)
		assert.Contains(t, string(readme), "`Paths[Action"+goName(a)+"]`", "README's configure table lists %s", a)
		assert.NotEmpty(t, a.Description(), "%s says what it asks", a)
		assert.Contains(t, string(simulator), string(a), "docs/simulator.md names %s", a)
		_, err := os.Stat(filepath.Join("chargedesktest", "payloads", string(a)+".json"))
		assert.NoError(t, err, "%s has its documented example payload", a)
	}
}

// goName is an action's Go name: "edit-plans" is EditPlans.
func goName(a Action) string {
	if a == ActionRequestPayment {
		return "RequestPayment"
	}
	var b strings.Builder
	for _, part := range strings.Split(string(a), "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
