package certkiosk

import _ "embed" // FyneApp.toml

// FyneAppTOML is FyneApp.toml, the kiosk's application metadata (ID,
// name, version, build, Fyne migrations). The fyne packaging tool reads the
// file itself; the kiosk binary carries this copy and hands it to Fyne at
// start (cmd/certkiosk), since Fyne finds the file at run time only beside
// a binary made by "go run".
//
//go:embed FyneApp.toml
var FyneAppTOML []byte
