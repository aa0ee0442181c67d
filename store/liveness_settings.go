package store

import (
	"certkiosk"
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// Liveness and device settings, changed by a supervisor.
const (
	SetBlinks        = certkiosk.SettingBlinks
	SetTimeoutSecs   = certkiosk.SettingTimeoutSecs
	SetCameraIndex   = certkiosk.SettingCameraIndex
	SetSoundMuted    = certkiosk.SettingSoundMuted
	DefaultBlinks    = certkiosk.DefaultBlinks
	DefaultTimeout   = certkiosk.DefaultTimeoutSecs
	DefaultCameraIdx = certkiosk.DefaultCameraIndex
)

// intBounds are the values a supervisor may choose for each integer
// setting: the rule lives here, not in a screen.
var intBounds = map[Key][2]int{
	SetBlinks:        {1, 5},
	SetTimeoutSecs:   {5, 60},
	SetRetentionDays: {0, 365},
	SetCameraIndex:   {0, 63},
	SetSoundMuted:    {0, 1},
}

// Bounds are the lowest and highest value allowed for an integer setting
// (ok is false for a key that is not one).
func Bounds(k Key) (lo, hi int, ok bool) {
	b, ok := intBounds[k]
	return b[0], b[1], ok
}

// IntSetting reads an integer setting.
func (s *DB) IntSetting(ctx context.Context, key Key, def int) (int, error) {
	v, err := s.Setting(ctx, key, strconv.Itoa(def))
	if err != nil {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, fmt.Errorf("setting %s: %q is not a number", key, v)
	}
	return n, nil
}

// SetIntSettings changes several integer settings in one transaction, for
// a supervisor or an admin, each within its Bounds; one out of bounds, or a
// key that is not an integer setting, refuses them all.
func (s *DB) SetIntSettings(ctx context.Context, by certkiosk.Staff, values map[Key]int) error {
	if !by.Role.Allows(certkiosk.RoleSupervisor) {
		return certkiosk.E(certkiosk.EUNAUTHORIZED, "error.store.settings_role", "staff %s (%s) may not change settings", by.ID, by.Role)
	}
	actor := "staff:" + by.ID
	for k, v := range values {
		lo, hi, ok := Bounds(k)
		if !ok {
			return fmt.Errorf("setting %s: not an integer setting", k)
		}
		if v < lo || v > hi {
			return certkiosk.E(certkiosk.EINVALID, "error.store.setting_range",
				"setting %s: %d outside %d–%d", k, v, lo, hi).With("Min", lo).With("Max", hi)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for k, v := range values {
			if err := s.setSetting(ctx, tx, actor, k, strconv.Itoa(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("change settings: %w", err)
	}
	return nil
}
