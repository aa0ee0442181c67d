package console

import (
	"log"
	"net/http"
	"strconv"
	"time"

	"certkiosk/central"
	ksync "certkiosk/sync"
)

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RecordReports wraps the terminals' API: after a signed batch or roster
// request succeeded (so its signature was checked), it keeps the version
// and the pending count the terminal sent in its headers, for the
// terminals page. Malformed values are ignored.
func RecordReports(api http.Handler, st central.ConsoleStorage, now func() time.Time, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !(r.Method == http.MethodPost && r.URL.Path == ksync.PathBatches || r.Method == http.MethodGet && r.URL.Path == ksync.PathRoster) {
			api.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		api.ServeHTTP(sw, r)
		if sw.status != http.StatusOK {
			return
		}
		terminal, version := r.Header.Get(ksync.HeaderTerminal), r.Header.Get(ksync.HeaderVersion)
		if terminal == "" || len(terminal) > ksync.MaxTerminalIDBytes || !printable(version, 40) {
			return
		}
		pending := -1
		if p := r.Header.Get(ksync.HeaderPending); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n > 1e9 {
				return
			}
			pending = max(n, -1) // the terminal could not count: unknown
		}
		if err := st.ReportTerminal(r.Context(), terminal, version, pending, now()); err != nil && logger != nil {
			logger.Printf("terminal report of %s: %v", terminal, err)
		}
	})
}

func printable(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
