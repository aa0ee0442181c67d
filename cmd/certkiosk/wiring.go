package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"certkiosk"
	"certkiosk/ui"
)

// signIn signs in with the PIN from stdin and opens a screen: how
// `make screenshots` reaches the screens behind the sign-in.
func signIn(k *ui.Kiosk, staff string, pins io.Reader, screen string) error {
	if pins == nil {
		pins = os.Stdin
	}
	pin, err := bufio.NewReader(pins).ReadString('\n')
	if err != nil && pin == "" {
		return fmt.Errorf("--staff needs the PIN on stdin: %w", err)
	}
	k.Login(staff, strings.TrimSpace(pin))
	if k.Screen() != "home" {
		return fmt.Errorf("sign-in as %s failed: %s", staff, k.LoginMessage())
	}
	switch screen {
	case "", "home":
	case "records":
		k.ShowRecords()
	case "sync":
		k.ShowSync()
	case "device":
		k.ShowDevice()
	case "settings":
		k.ShowSettings()
	case "certify":
		k.ShowFirstDue()
		k.StartCertification(certkiosk.MethodBlink)
	case "certify-digits":
		k.ShowFirstDue()
		k.StartCertification(certkiosk.MethodDigits)
	case "retiree":
		k.ShowFirstDue()
	case "contacts":
		k.ShowFirstDue()
		k.ShowCardContacts()
	case "card": // demo mode's reader: the first demo card placed (it opens the card once the reader runs)
		if !k.PlaceDemoCard(0) {
			return fmt.Errorf("--screen card: no demo card reader (demo mode only)")
		}
	case "certify-again": // the last retiree certified: their reference photo beside the live face
		if !k.ShowLastCertified() {
			return fmt.Errorf("--screen certify-again: no pass on record yet")
		}
		k.StartCertification(certkiosk.MethodBlink)
	default:
		return fmt.Errorf("unknown screen %q", screen)
	}
	return nil
}

// printPDF sends a receipt to the default CUPS printer when there is one.
func printPDF(path string) error {
	lp, err := exec.LookPath("lp")
	if err != nil {
		return fmt.Errorf("no printing system: %w", err)
	}
	out, err := exec.Command(lp, path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("lp: %v: %s", err, out)
	}
	return nil
}
