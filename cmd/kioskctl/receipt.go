package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"

	"certkiosk"
	ksync "certkiosk/sync"
)

// cmdReceipt verifies a receipt QR token offline: with this terminal's key
// by default, or with --key (the base64 public key of another terminal,
// e.g. from the central's terminal list).
func cmdReceipt(ctx context.Context, e *env, args []string) error {
	if len(args) < 2 || args[0] != "verify" {
		return errUsage
	}
	fs := flag.NewFlagSet("receipt verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	keyText := fs.String("key", "", "base64 Ed25519 public key of the terminal that signed it (default: this terminal)")
	if err := fs.Parse(args[2:]); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	var pub ed25519.PublicKey
	if *keyText != "" {
		k, err := ksync.DecodePublicKey(*keyText)
		if err != nil {
			return certkiosk.Errorf(certkiosk.EINVALID, "公钥格式不对", "--key: %v", err)
		}
		pub = k
	} else {
		db, err := openStore(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		key, err := db.TerminalKey(ctx)
		if err != nil {
			return err
		}
		pub = key.Public().(ed25519.PublicKey)
	}
	t, err := certkiosk.VerifyReceiptToken(args[1], pub)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "OK receipt %s: %s, %s, verdict %s, terminal %s\n", t.Receipt, t.Date, t.Retiree, t.Verdict, t.Terminal)
	return nil
}
