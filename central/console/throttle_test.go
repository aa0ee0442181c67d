package console_test

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"certkiosk/central"
	"certkiosk/central/console"
)

// from makes c's connections come from ip (127.0.0.x).
func (c *client) from(ip string) *client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.c.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

// N6: a stranger floods the sign-in form with wrong PINs for the admin's
// account. At most 10 of 40 from one address are answered without
// throttling, the admin signs in from another address at once, and the
// audit page pages back to entries older than the noise.
func TestSignInIsThrottledPerAddress(t *testing.T) {
	e := newEnv(t)
	admin := e.client().from("127.0.0.2")
	admin.mustLogin("A001", "246810") // the entry the noise must not hide
	attacker := e.client().from("127.0.0.3")
	unthrottled := 0
	for i := 0; i < 40; i++ {
		id := "A001"
		if i%2 == 1 {
			id = "NOPE1" // unknown accounts spend the same
		}
		if resp := attacker.login(id, "000000"); resp.StatusCode != http.StatusTooManyRequests {
			unthrottled++
		}
	}
	if unthrottled > 10 {
		t.Errorf("%d of 40 wrong PINs from one address answered without throttling, want at most 10", unthrottled)
	}
	// The owner, from elsewhere, with the right PIN: in at once.
	start := time.Now()
	owner := e.client().from("127.0.0.4")
	owner.mustLogin("A001", "246810")
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("the owner's sign-in took %s", took)
	}
	// More noise from many addresses (wrong PINs cost no argon2 work
	// here beyond the test's cheap one), then page back through the log.
	for i := 0; i < 12; i++ {
		c := e.client().from(fmt.Sprintf("127.0.1.%d", i+1))
		for j := 0; j < 10; j++ {
			c.login("A001", "000000")
		}
	}
	var total int
	all, _ := e.st.ConsoleAuditLog(context.Background(), central.AuditFilter{}, 100000)
	total = len(all)
	if total <= console.AuditPage {
		t.Fatalf("only %d audit entries: the test does not page", total)
	}
	seen, page := 0, "/console/audit"
	href := regexp.MustCompile(`<a href="(/console/audit\?[^"]+)">更早的记录</a>`)
	rows := regexp.MustCompile(`<tr><td>`)
	for pages := 0; page != "" && pages < 100; pages++ {
		resp, body := owner.get(page)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", page, resp.StatusCode)
		}
		seen += len(rows.FindAllString(body, -1))
		page = ""
		if m := href.FindStringSubmatch(body); m != nil {
			page = html.UnescapeString(m[1])
		}
	}
	if seen < total {
		t.Errorf("the audit pages show %d of %d entries", seen, total)
	}
	// Filtered by user and action: the admin's first sign-in is found.
	_, body := owner.get("/console/audit?action=login&user=A001")
	if strings.Count(body, "<tr><td>") < 2 {
		t.Errorf("filtered audit page lacks the admin's sign-ins:\n%s", body)
	}
}

// N7: an unknown ID and a wrong PIN are answered alike, down to the lock.
func TestSignInAnswersAlike(t *testing.T) {
	e := newEnv(t)
	answers := map[string]string{}
	for i, id := range []string{"A001", "NOPE1"} {
		c := e.client().from(fmt.Sprintf("127.0.2.%d", i+1))
		for j := 0; j < console.MaxFailedLogins+1; j++ {
			resp, body := c.post("/console/login", url.Values{"csrf": {c.csrf("/console/login")}, "id": {id}, "pin": {"000000"}})
			msg := regexp.MustCompile(`class="alert" role="alert">([^<]*)<`).FindStringSubmatch(body)
			answers[id] += fmt.Sprintf("%d %v; ", resp.StatusCode, msg)
		}
	}
	if answers["A001"] != answers["NOPE1"] || !strings.Contains(answers["A001"], "429") {
		t.Errorf("real and unknown accounts answered differently:\n%s\n%s", answers["A001"], answers["NOPE1"])
	}
}
