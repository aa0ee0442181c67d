// Package terminal is the kiosk's side of sync, on its own store: enrolling
// with the central, the outbox worker that sends records in batches,
// offline bundles and receipts, the roster and reference photos coming
// down, contact changes going up. The wire itself — records, batches,
// signatures, bundles, the HTTP client — is package sync, which links no
// store, so the central links none of the kiosk's storage.
package terminal
