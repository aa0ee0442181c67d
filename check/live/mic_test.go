//go:build !race

// Renders a clip with sound (slow under the race detector, like the
// fixture package's sound clips): `make test` runs it in its non-race pass.

package live

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/audio"
	"certkiosk/camera"
	"certkiosk/check"
	"certkiosk/liveness"
	"certkiosk/liveness/fixture"
)

// The service hears the microphone in the frames' clock: a clip's frames
// through Feed in real time and its sound through a paced Source pass as
// lips and voice; with no microphone the same frames pass on the lips
// alone, and the result says which check ran.
func TestCheckerHearsTheMicrophone(t *testing.T) {
	r, err := fixture.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	// The person reads once the kiosk has read the prompt and the digits
	// aloud (prompt at most 3.1 s in, then ≈ 9 s of the kiosk's voice).
	code := "4821"
	path, _, err := r.RenderAV(context.Background(), fixture.AVSpec{Name: "live", Code: code, Voice: fixture.FixtureVoice,
		Seed: 5, At: 13}, t.TempDir())
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := audio.DecodeFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for _, withMic := range []bool{true, false} {
		src, err := camera.OpenFile(path, true)
		if err != nil {
			t.Fatal(err)
		}
		// 20 s to answer: without a microphone the kiosk does not wait
		// for its own voice, and this reading comes late.
		settings := check.Settings{TimeLimit: func() time.Duration { return 20 * time.Second }}
		checker := &Checker{Settings: settings, Microphone: func() (audio.Source, error) {
			if !withMic {
				return nil, audio.ErrNoMicrophone
			}
			return &audio.Samples{PCM: pcm, Pace: true}, nil
		}}
		checker.newCode = func() (string, error) { return code, nil }
		_, updates, cancel, err := checker.Start(certkiosk.MethodDigits)
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		fed := make(chan error, 1)
		go func() { fed <- Feed(ctx, src, &sink{}, checker, func(error) {}, nil) }()
		var last check.Update
		for u := range updates {
			last = u
		}
		stop()
		cancel()
		err = <-fed // the capture loop has let go of the file
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(last.Result.Metrics, &m); err != nil {
			t.Fatalf("metrics %s: %v", last.Result.Metrics, err)
		}
		t.Logf("microphone %v: %s %q %s", withMic, last.Result.Verdict, last.Result.Reason, last.Result.Metrics)
		want := liveness.CheckLips
		if withMic {
			want = liveness.CheckLipsVoice
			if m["voiced_syllables"] != 4.0 {
				t.Errorf("heard %v syllables of 4", m["voiced_syllables"])
			}
			if lag, _ := m["av_sync_lag_ms"].(float64); lag < -100 || lag > 100 {
				t.Errorf("sound and frames %v ms apart: the clocks are not one", lag)
			}
		}
		if last.Result.Verdict != certkiosk.VerdictPass || last.Result.SpeechCheck != want || m["speech_check"] != want {
			t.Errorf("microphone %v: %s %q, check %q", withMic, last.Result.Verdict, last.Result.Reason, last.Result.SpeechCheck)
		}
	}
}

// A microphone that fails to open leaves the check on the lips.
func TestCheckerWithoutMicrophone(t *testing.T) {
	checker := &Checker{Settings: twoBlinks(), Microphone: func() (audio.Source, error) { return nil, errors.New("no card") }}
	_, _, cancel, err := checker.Start(certkiosk.MethodDigits)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	checker.mu.Lock()
	mic := checker.active.mic
	checker.mu.Unlock()
	if mic != nil {
		t.Fatal("a check started with a failed microphone")
	}
}

// The kiosk's own voice is measured from the prompts it plays, pauses
// included: the read-digits prompt and four digits take seconds.
func TestVoiceLength(t *testing.T) {
	d := voiceLength(challengeVoice(certkiosk.MethodDigits, "4821"))
	if d < 3*time.Second || d > 10*time.Second {
		t.Fatalf("the digits prompt takes %v", d)
	}
	if voiceLength([]string{"no_such_prompt"}) != 1100*time.Millisecond {
		t.Fatal("a missing prompt is not counted as a second")
	}
}
