package main

import (
	"bytes"
	"fmt"

	"certkiosk"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/BurntSushi/toml"
)

// fyneAppFile is the part of FyneApp.toml the kiosk reads.
type fyneAppFile struct {
	Details struct {
		ID      string
		Name    string
		Version string
		Build   int
	}
	Migrations map[string]bool
}

// appMetadata is FyneApp.toml as Fyne's metadata: the same file that the
// packaging reads, so the binary and its package agree.
func appMetadata() (fyne.AppMetadata, error) {
	var f fyneAppFile
	_, err := toml.NewDecoder(bytes.NewReader(certkiosk.FyneAppTOML)).Decode(&f)
	if err != nil {
		return fyne.AppMetadata{}, fmt.Errorf("FyneApp.toml: %w", err)
	}
	if f.Details.ID == "" || f.Details.Name == "" || f.Details.Version == "" {
		return fyne.AppMetadata{}, fmt.Errorf("FyneApp.toml: [Details] needs ID, Name and Version")
	}
	return fyne.AppMetadata{ID: f.Details.ID, Name: f.Details.Name, Version: f.Details.Version,
		Build: f.Details.Build, Migrations: f.Migrations, Custom: map[string]string{"git": certkiosk.Version}}, nil
}

// newFyneApp is the kiosk's Fyne app, with FyneApp.toml's metadata.
func newFyneApp() (fyne.App, error) {
	m, err := appMetadata()
	if err != nil {
		return nil, err
	}
	app.SetMetadata(m)
	return app.NewWithID(m.ID), nil
}
