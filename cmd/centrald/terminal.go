package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"certkiosk/central"
)

func cmdTerminal(ctx context.Context, st central.Storage, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	tf := flag.NewFlagSet("terminal "+args[0], flag.ContinueOnError)
	tf.SetOutput(stderr)
	id := tf.String("id", "", "terminal ID, e.g. T-0001")
	name := tf.String("name", "", "terminal name, e.g. the service centre")
	ttl := tf.Duration("ttl", 24*time.Hour, "how long the enrollment token is valid")
	if err := tf.Parse(args[1:]); err != nil || *id == "" {
		return errUsage
	}
	switch args[0] {
	case "add":
		token := central.NewToken()
		if err := st.AddTerminal(ctx, *id, *name, central.TokenHash(token), time.Now(), time.Now().Add(*ttl)); err != nil {
			return fmt.Errorf("terminal add %s: %w", *id, err)
		}
		fmt.Fprintf(stdout, "terminal %s (%s): one-time enrollment token, valid %s:\n", *id, *name, *ttl)
		fmt.Fprintln(stdout, token) // the last line, for scripts
		return nil
	case "reenroll":
		// After a key rotation: a one-time token with which the enrolled
		// terminal enrolls again and receives the central's new keys.
		token := central.NewToken()
		if err := st.ReenrollToken(ctx, *id, central.TokenHash(token), time.Now().Add(*ttl)); err != nil {
			return fmt.Errorf("terminal reenroll %s: %w (enrolled and not revoked?)", *id, err)
		}
		fmt.Fprintf(stdout, "terminal %s: one-time re-enrollment token, valid %s:\n", *id, *ttl)
		fmt.Fprintln(stdout, token)
		return nil
	case "audit":
		// The terminal's audit head the central acknowledged, for
		// `kioskctl audit verify --anchor`, and any alarms.
		seq, hash, alarms, err := st.AuditState(ctx, *id)
		if err != nil {
			return err
		}
		for _, a := range alarms {
			fmt.Fprintf(stderr, "ALARM %s: %s\n", a.At.Format(time.RFC3339), a.Detail)
		}
		fmt.Fprintf(stdout, "%d:%s\n", seq, hash)
		if len(alarms) > 0 {
			return fmt.Errorf("terminal %s: %d audit alarm(s): its audit log was rewritten or rolled back", *id, len(alarms))
		}
		return nil
	case "revoke":
		if err := st.RevokeTerminal(ctx, *id); err != nil {
			return fmt.Errorf("terminal revoke %s: %w", *id, err)
		}
		fmt.Fprintf(stdout, "terminal %s revoked\n", *id)
		return nil
	}
	return errUsage
}
