package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"certkiosk/central"
)

// rotateKey retires one of the central's keys and makes its successor.
func rotateKey(o options, kind string, stdout io.Writer) error {
	if err := central.RotateKey(o.dataDir, kind); err != nil {
		return err
	}
	switch kind {
	case central.KeyTLS:
		_, pin, err := central.LoadOrCreateCert(o.dataDir, hostsOf(o.listen))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new TLS certificate; its pin (for kioskctl enroll --pin):\n%s\n", pin)
	default:
		if _, err := central.LoadOrCreateKeys(o.dataDir); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new %s key; the old one is kept in %s\n", kind, filepath.Join(o.dataDir, "retired"))
	}
	fmt.Fprintln(stdout, "restart centrald, then re-enroll every terminal: centrald terminal reenroll --id ID; kioskctl enroll …")
	return nil
}

// exportIdentity gives out the central's age identity, the key to every
// terminal's evidence, never into a file others can read: with out, a new
// file created 0600; on stdout redirected to a file (identity export >
// id.txt), that file is made 0600 first or nothing is written.
func exportIdentity(keys *central.Keys, out string, stdout, stderr io.Writer) error {
	text := "# certkiosk central evidence identity: opens every terminal's evidence. Keep it offline.\n" + keys.Identity() + "\n"
	if out != "" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("identity export: %w (the file must not exist yet)", err)
		}
		if _, err := f.WriteString(text); err != nil {
			f.Close()
			os.Remove(out)
			return fmt.Errorf("identity export: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("identity export: %w", err)
		}
		fmt.Fprintf(stderr, "identity written to %s (mode 0600)\n", out)
		return nil
	}
	if f, ok := stdout.(*os.File); ok {
		fi, err := f.Stat()
		if err != nil {
			return fmt.Errorf("identity export: %w", err)
		}
		if fi.Mode().IsRegular() {
			if err := f.Chmod(0o600); err != nil {
				return fmt.Errorf("identity export: cannot make the output file private (0600), nothing written: %w", err)
			}
		}
	}
	_, err := io.WriteString(stdout, text)
	return err
}
