package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// LibraryPath is the module path of the chargedesk-go library.
const LibraryPath = "github.com/chargedesk/chargedesk-go"

// BuildInfo is what a binary knows of its own build, from
// runtime/debug.ReadBuildInfo.
type BuildInfo struct {
	// Version is the command module's version: v0.1.0 when installed with
	// go install ...@v0.1.0, "(devel)" when built from a checkout.
	Version string `json:"version"`
	// Library is the version of the chargedesk-go library built in,
	// "(devel)" from a checkout.
	Library string `json:"library"`
	// Revision is the VCS revision the binary was built from, "" when the
	// build did not stamp one (go install of a module, -buildvcs=false).
	Revision string `json:"revision,omitempty"`
	// Go is the toolchain that built it, such as go1.26.0.
	Go string `json:"go"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
}

// ReadBuild returns the running binary's BuildInfo. A binary without
// module information (built with GOPATH tooling) reports "(devel)".
func ReadBuild() BuildInfo {
	b := BuildInfo{Version: "(devel)", Library: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if v := info.Main.Version; v != "" {
		b.Version = v
	}
	if info.Main.Path == LibraryPath {
		b.Library = b.Version
	}
	for _, d := range info.Deps {
		if d.Path == LibraryPath {
			b.Library = d.Version
			if d.Replace != nil && d.Replace.Version != "" {
				b.Library = d.Replace.Version
			}
		}
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			b.Revision = s.Value
		}
	}
	return b
}

// String is the one-line form: "v0.1.0 (library v0.1.0, go1.26.0 linux/amd64)".
func (b BuildInfo) String() string {
	s := b.Version + " (library " + b.Library
	if b.Revision != "" {
		s += ", revision " + b.Revision
	}
	return s + ", " + b.Go + " " + b.Platform + ")"
}

// NewVersionCmd returns the version command of the program name: it
// prints the version from the binary's module information, or with --json
// the BuildInfo as a JSON object. It also sets root's --version flag.
func NewVersionCmd(root *cobra.Command) *cobra.Command {
	var asJSON bool
	root.Version = ReadBuild().String()
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	// --version without cobra's -v shorthand, which commands use for
	// verbose output.
	root.Flags().Bool("version", false, "print the version of this build")
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of this build",
		Long: `Print the version of this build, read from the binary's module information:
the tag it was installed at (go install ...@v0.1.0), or "(devel)" when built
from a checkout with go build or go run; then the version of the
chargedesk-go library built in, the VCS revision when the build recorded
one, and the Go toolchain.`,
		Args: NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b := ReadBuild()
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			_, err := fmt.Fprintf(c.OutOrStdout(), "%s %s\n", root.Name(), b)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as a JSON object")
	return cmd
}
