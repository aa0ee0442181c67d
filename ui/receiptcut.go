package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// receiptTempPrefix starts the names of the temporary files writeWhole
// writes beside a receipt before renaming it into place (os.CreateTemp's
// ".receipt-*"). One still there when the kiosk starts was cut off mid-write
// by a power cut or a kill.
const receiptTempPrefix = ".receipt-"

// removeCutReceipts deletes the receipts a power cut left half written in
// dir: writeWhole's temporary files. A whole receipt is only ever there
// under its own name, so nothing else is touched; the record itself was
// saved before its receipt printed, and staff print it again from the
// records if the retiree asks.
func removeCutReceipts(dir string) (removed int, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("receipt directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), receiptTempPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove cut-off receipt %s: %w", e.Name(), err)
		}
		removed++
	}
	return removed, nil
}
