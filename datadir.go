package certkiosk

import (
	"os"
	"path/filepath"
)

// DefaultDataDir is the per-user data directory: $CERTKIOSK_DATA, else
// $XDG_DATA_HOME/certkiosk, else ~/.local/share/certkiosk.
func DefaultDataDir() string {
	if d := os.Getenv("CERTKIOSK_DATA"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "certkiosk")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "certkiosk")
	}
	return filepath.Join(home, ".local", "share", "certkiosk")
}

// Version is the build's version, set by the Makefile with
// -ldflags "-X certkiosk.Version=…".
var Version = "dev"
