package assets

import (
	"os/exec"
	"strings"
	"testing"
)

// Every voice prompt is read as Mandarin: Debian's espeak-ng cmn voice
// reads most characters as English words with tone numbers ("请" as
// "king three", "四" as "si four"), so prompts.txt gives pinyin for the
// cmn-Latn-pinyin voice (scripts/voices.sh). espeak-ng marks a switch to
// another language with "(en)" in its phonemes; none may appear.
func TestVoicePromptsAreReadAsMandarin(t *testing.T) {
	data, err := Voices.ReadFile("voice/prompts.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "|")
		voice, say := "cmn", f[1]
		if len(f) > 2 && f[2] != "" {
			voice, say = "cmn-latn-pinyin", f[2]
		}
		out, err := exec.Command("espeak-ng", "-v", voice, "-q", "-x", say).Output()
		if err != nil {
			t.Fatalf("espeak-ng (install the Debian package espeak-ng): %v", err)
		}
		if strings.Contains(string(out), "(en)") {
			t.Errorf("%s is read partly as English: %s", f[0], strings.TrimSpace(string(out)))
		}
		if syl := strings.Count(strings.TrimSpace(string(out)), "_|"); len(f) > 2 && syl != len(strings.Fields(f[2])) {
			t.Errorf("%s: %d syllables spoken for %d written", f[0], syl, len(strings.Fields(f[2])))
		}
		n++
	}
	if n < 30 {
		t.Fatalf("only %d prompts", n)
	}
}
