package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// Liveness and device settings, changed by a supervisor.
const (
	SetBlinks        = "liveness_blinks"    // blinks required, default 2
	SetTimeoutSecs   = "liveness_timeout_s" // per attempt, default 10
	SetCameraIndex   = "camera_index"       // /dev/videoN, default 0
	SetSoundMuted    = "sound_muted"        // 1: prompts shown, not spoken
	DefaultBlinks    = 2
	DefaultTimeout   = 10
	DefaultCameraIdx = 0
)

// IntSetting reads an integer setting.
func (s *DB) IntSetting(ctx context.Context, key string, def int) (int, error) {
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

// SetIntSettings changes several integer settings in one transaction,
// each within its bounds [lo, hi]; out of bounds refuses them all.
func (s *DB) SetIntSettings(ctx context.Context, actor string, values map[string]int, bounds map[string][2]int) error {
	for k, v := range values {
		if b, ok := bounds[k]; ok && (v < b[0] || v > b[1]) {
			return fmt.Errorf("setting %s: %d outside %d–%d", k, v, b[0], b[1])
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
