package apitest

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docs/api-compat.md has a row for every operation the local ChargeDesk
// serves, with its method and path.
func TestOperationsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api-compat.md")
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| `") {
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
			rows[id] = line
		}
	}
	for _, op := range Operations() {
		row, ok := rows[op.ID]
		if !assert.True(t, ok, "docs/api-compat.md has no row for %s", op.ID) {
			continue
		}
		assert.Contains(t, row, op.Method+" `"+op.Path+"`", op.ID)
	}
	assert.Len(t, rows, len(Operations()), "a row for an operation the local ChargeDesk does not serve")
}
