package main

import (
	"os"
	"strings"
	"testing"
)

// The kiosk's Fyne app carries FyneApp.toml's metadata: its ID, name,
// version and the fyneDo migration (which makes Fyne check that only the
// UI goroutine touches widgets).
func TestAppMetadataFromFyneAppTOML(t *testing.T) {
	raw, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := newFyneApp()
	if err != nil {
		t.Fatal(err)
	}
	m := a.Metadata()
	for _, want := range []string{`ID = "` + m.ID + `"`, `Name = "` + m.Name + `"`, `Version = "` + m.Version + `"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("app metadata %+v: FyneApp.toml has no %s", m, want)
		}
	}
	if m.ID != "cn.certkiosk.kiosk" || !m.Migrations["fyneDo"] || m.Build < 1 {
		t.Errorf("app metadata %+v: want ID cn.certkiosk.kiosk, a build number and the fyneDo migration", m)
	}
}
