package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"certkiosk"
	"certkiosk/central"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Prefix is where the console is served on centrald's listener.
const Prefix = "/console/"

// Server serves the console over a Store.
type Server struct {
	Store central.ConsoleStorage
	Keys  *central.Keys // opens evidence in memory for the review queue
	Now   func() time.Time
	Log   *log.Logger
	// Secure marks cookies Secure: set it when serving over TLS.
	Secure bool
	// IdleTimeout ends a session unused this long (default 15 minutes).
	IdleTimeout time.Duration
	// CutoffDay is the office's back-pay cut-off day (default 15).
	CutoffDay int
	// ClientAddr gives a request's client address, which sign-in
	// attempts are counted by (default: the TCP peer's).
	ClientAddr func(*http.Request) string

	sessions  sessions
	logins    chan struct{} // argon2id work at once: 64 MiB each
	refreshMu gosync.Mutex
	pages     map[string]*template.Template
	dummyHash string
	throttle  *signInThrottle
}

// MaxFormBytes bounds every form body the console reads.
const MaxFormBytes = 16 << 10

const (
	sessionCookie = "ck_session"
	loginCookie   = "ck_login"
)

// Handler returns the console's routes, all under Prefix.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = certkiosk.SystemClock
	}
	if s.Log == nil {
		s.Log = log.New(io.Discard, "", 0)
	} else if s.Log.Writer() != io.Discard {
		s.Log = log.New(central.MaskingWriter(s.Log.Writer()), s.Log.Prefix(), s.Log.Flags())
	}
	if s.IdleTimeout <= 0 {
		s.IdleTimeout = DefaultIdleTimeout
	}
	if s.CutoffDay <= 0 {
		s.CutoffDay = certkiosk.DefaultBackpayCutoffDay
	}
	if s.ClientAddr == nil {
		s.ClientAddr = remoteAddr
	}
	s.logins = make(chan struct{}, 2)
	s.throttle = newSignInThrottle(func() time.Time { return s.Now() })
	s.pages = parsePages()
	// Unknown accounts are checked against this hash, so a wrong ID takes
	// as long as a wrong PIN.
	s.dummyHash, _ = HashPIN(randomToken(), DefaultKDF)
	static, _ := fs.Sub(assets, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/login", s.loginPage)
	mux.HandleFunc("POST /console/login", s.login)
	mux.HandleFunc("POST /console/logout", s.auth(central.RoleReviewer, s.logout))
	mux.HandleFunc("GET /console/{$}", s.auth(central.RoleReviewer, s.dashboard))
	mux.HandleFunc("GET /console/review", s.auth(central.RoleReviewer, s.queue))
	mux.HandleFunc("GET /console/review/{id}", s.auth(central.RoleReviewer, s.casePage))
	mux.HandleFunc("POST /console/review/{id}", s.auth(central.RoleReviewer, s.decide))
	mux.HandleFunc("GET /console/frames/{id}", s.auth(central.RoleReviewer, s.frame))
	mux.HandleFunc("GET /console/retirees", s.auth(central.RoleReviewer, s.retirees))
	mux.HandleFunc("GET /console/retirees/{id}", s.auth(central.RoleReviewer, s.retiree))
	mux.HandleFunc("GET /console/lists", s.auth(central.RoleReviewer, s.lists))
	mux.HandleFunc("GET /console/exports/{file}", s.auth(central.RoleReviewer, s.export))
	mux.HandleFunc("GET /console/terminals", s.auth(central.RoleAdmin, s.terminals))
	mux.HandleFunc("POST /console/terminals", s.auth(central.RoleAdmin, s.addTerminal))
	mux.HandleFunc("POST /console/terminals/{id}/{action}", s.auth(central.RoleAdmin, s.terminalAction))
	mux.HandleFunc("GET /console/audit", s.auth(central.RoleAdmin, s.auditPage))
	mux.HandleFunc("POST /console/contacts/{id}/undo", s.auth(central.RoleAdmin, s.undoContact))
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusNotFound, "页面不存在", nil)
	})
	return headers(mux)
}

// headers sets what every console answer carries: no caching of personal
// data, no framing, no sniffing, no referrer, and a policy that allows
// only the console's own styles, images and forms (no scripts at all).
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if !strings.HasPrefix(r.URL.Path, "/console/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// roleAllows reports whether role has need's rights.
func roleAllows(role, need string) bool {
	return role == central.RoleAdmin || role == central.RoleReviewer && need == central.RoleReviewer
}

type ctxKey struct{}

func sessionOf(r *http.Request) *session { s, _ := r.Context().Value(ctxKey{}).(*session); return s }

// auth wraps a page that needs a signed-in user with role need. Every
// POST must carry the session's CSRF token; bodies are bounded first.
func (s *Server) auth(need string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var ss *session
		if err == nil {
			ss, _ = s.sessions.get(c.Value, s.Now(), s.IdleTimeout)
		}
		if ss != nil {
			// A disabled account, or one whose PIN was changed since this
			// session began, is signed out at once.
			u, _, err := s.Store.ConsoleUser(r.Context(), ss.user.ID)
			if err != nil || u.Disabled || u.PINChanged.After(ss.created) || u.Role != ss.user.Role {
				s.sessions.remove(c.Value)
				ss = nil
			}
		}
		if ss == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.problem(w, r, http.StatusUnauthorized, "登录已过期，请重新登录", nil)
			return
		}
		if !roleAllows(ss.user.Role, need) {
			s.problem(w, r, http.StatusForbidden, "您的账号没有这项权限", nil)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
			if err := r.ParseForm(); err != nil {
				s.problem(w, r, http.StatusRequestEntityTooLarge, "提交的内容太长", err)
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(ss.csrf)) != 1 {
				s.problem(w, r, http.StatusForbidden, "页面已过期，请返回后刷新再提交", errors.New("CSRF token missing or wrong"))
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ss)))
	}
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteStrictMode})
}

// audit records an action of the signed-in user; a failure to record it
// is logged (the caller decides whether the action may go on).
func (s *Server) audit(ctx context.Context, user, action, subject, detail string) error {
	err := s.Store.ConsoleAudit(ctx, central.AuditEntry{At: s.Now(), User: user, Action: action, Subject: subject, Detail: detail})
	if err != nil {
		s.Log.Printf("console audit %s %s: %v", action, subject, err)
	}
	return err
}

// RefreshBudget is how long a page waits for what arrived since the last
// refresh to be folded into the pension state; a larger backlog (a new
// roster of a million people) is left to the background refresh (Run).
const RefreshBudget = 150 * time.Millisecond

// refresh folds what arrived since the last page into the pension state,
// within RefreshBudget; while the background refresh runs, a page shows
// what is folded in so far.
func (s *Server) refresh(ctx context.Context) error {
	if !s.refreshMu.TryLock() {
		return nil
	}
	defer s.refreshMu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, RefreshBudget)
	defer cancel()
	_, err := s.Store.RefreshPension(rctx)
	if err != nil && rctx.Err() != nil && ctx.Err() == nil {
		return nil // budget spent; each step is its own transaction, so nothing is half done
	}
	return err
}

// refreshAll folds in everything before a list for the payment system is
// exported: an export must not miss a record the central holds.
func (s *Server) refreshAll(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	_, err := s.Store.RefreshPension(ctx)
	return err
}

// Run refreshes the pension state every interval until ctx ends, so pages
// find little to fold in after a large roster import.
func (s *Server) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.refreshAll(ctx); err != nil && ctx.Err() == nil {
				s.Log.Printf("console refresh: %v", err)
			}
			s.sessions.sweep(s.Now(), s.IdleTimeout)
		}
	}
}

func (s *Server) today() certkiosk.Date { return central.DayOf(s.Now()) }

// problem answers with a plain Chinese page; the detail goes to the log.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil {
		s.Log.Printf("console %s %s: %d %s: %v", r.Method, r.URL.Path, status, msg, err)
	}
	w.WriteHeader(status)
	s.render(w, r, "problem", "出错了", map[string]any{"Message": msg, "Status": status})
}

// internal is problem for a failure of ours.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.problem(w, r, http.StatusInternalServerError, "系统暂时出错，请稍后再试；如果一直出错，请联系管理员", err)
}

// page is what every template receives.
type page struct {
	Title string
	Nav   string
	User  *central.User
	CSRF  string
	Today certkiosk.Date
	Data  any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "template "+name+" missing", http.StatusInternalServerError)
		return
	}
	p := page{Title: title, Nav: name, Today: s.today(), Data: data}
	if ss := sessionOf(r); ss != nil {
		p.User, p.CSRF = &ss.user, ss.csrf
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		s.Log.Printf("console render %s: %v", name, err)
	}
}

func parsePages() map[string]*template.Template {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		out[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(assets, "templates/layout.html", n))
	}
	return out
}

var funcs = template.FuncMap{
	"mask":      certkiosk.Mask,
	"maskPhone": certkiosk.MaskPhone,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(central.China).Format("2006-01-02 15:04")
	},
	"verdict": verdictWord,
	"contactKind": func(k string) string {
		switch k {
		case "confirmed":
			return "核对无误"
		case "corrected":
			return "修改"
		case "relative_set":
			return "登记亲情联系人"
		case "relative_removed":
			return "撤销亲情联系人"
		}
		return k
	},
	"action": func(a string) string {
		if w, ok := actionWords[a]; ok {
			return w
		}
		return a
	},
	"decision": func(d string) string {
		switch d {
		case central.Approve:
			return "已通过"
		case central.Reject:
			return "已驳回"
		}
		return "待复核"
	},
	"method": func(m string) string {
		switch m {
		case string(certkiosk.MethodBlink):
			return "眨眼"
		case string(certkiosk.MethodDigits):
			return "读数字"
		}
		return m
	},
	// speech names the read-digits check a record ran (issue 15).
	"speech": func(s string) string {
		switch certkiosk.SpeechCheck(s) {
		case certkiosk.SpeechLips:
			return "仅查口型，无麦克风"
		case certkiosk.SpeechLipsVoice:
			return "口型与声音"
		}
		return s
	},
	"dash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
}

// actionWords name the audited actions in Chinese.
var actionWords = map[string]string{
	"login": "登录", "login_failed": "登录失败", "logout": "退出登录", "view_face": "查看人像", "view_retiree": "查看人员",
	"export": "导出名单", "decide": "复核", "terminal_token": "添加终端", "terminal_revoke": "停用终端",
	"terminal_enable": "启用终端", "contact_undo": "撤销联系方式修改", "terminal_reenroll": "重新注册终端", "user_add": "添加账号", "user_disable": "停用账号", "user_enable": "启用账号", "user_pin": "更改账号密码",
}

func verdictWord(v string) string {
	switch certkiosk.Verdict(v) {
	case certkiosk.VerdictPass:
		return "通过"
	case certkiosk.VerdictFail:
		return "未通过"
	case certkiosk.VerdictManualReview:
		return "转人工复核"
	}
	return v
}

// loginPage shows the sign-in form with a fresh login CSRF token (a
// double-submit cookie: there is no session yet to hold one).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	s.setCookie(w, loginCookie, tok, 3600)
	w.WriteHeader(status)
	s.render(w, r, "login", "登录", map[string]any{"Token": tok, "Message": msg, "Next": safeNext(r.FormValue("next"))})
}

// safeNext keeps a post-login target only when it is a console path.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.problem(w, r, http.StatusRequestEntityTooLarge, "提交的内容太长", err)
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		s.showLogin(w, r, http.StatusForbidden, "页面已过期，请重新输入后登录")
		return
	}
	id, pin := strings.TrimSpace(r.PostForm.Get("id")), r.PostForm.Get("pin")
	const wrong = "工号或密码不正确"
	if !ValidUserID(id) || pin == "" || len(pin) > 128 {
		s.showLogin(w, r, http.StatusUnauthorized, wrong)
		return
	}
	// Every attempt spends one of its address's; a successful one gets it
	// back. Known and unknown accounts are throttled, counted and locked
	// alike, and answered with the same words after the same work.
	addr := s.ClientAddr(r)
	ctx := r.Context()
	if !s.throttle.take(addr) {
		w.Header().Set("Retry-After", fmt.Sprint(int(SignInRefill.Seconds())))
		s.showLogin(w, r, http.StatusTooManyRequests, "登录尝试次数过多，请稍后再试")
		return
	}
	if locked, until := s.throttle.locked(id, addr); locked {
		if _, _, err := s.Store.ConsoleUser(ctx, id); err == nil {
			s.audit(ctx, id, "login_failed", id, "已锁定，来自 "+addr)
		} else {
			s.audit(ctx, "", "login_failed", "", "已锁定，来自 "+addr)
		}
		mins := int(until.Sub(s.Now()).Minutes()) + 1
		s.showLogin(w, r, http.StatusTooManyRequests, fmt.Sprintf("密码错误次数过多，请 %d 分钟后再试", mins))
		return
	}
	select {
	case s.logins <- struct{}{}:
		defer func() { <-s.logins }()
	case <-ctx.Done():
		return
	}
	u, hash, err := s.Store.ConsoleUser(ctx, id)
	known := err == nil
	if err != nil && !errors.Is(err, central.ErrNotFound) {
		s.internal(w, r, err)
		return
	}
	if !known {
		hash = s.dummyHash
	}
	ok, err := CheckPIN(pin, hash)
	if err != nil {
		s.internal(w, r, fmt.Errorf("PIN hash of %s: %w", id, err))
		return
	}
	now := s.Now()
	if !ok || !known || u.Disabled { // a disabled account is answered like a wrong PIN
		locked, alarm := s.throttle.failed(id, addr)
		msg := wrong
		if locked {
			msg = fmt.Sprintf("密码错误 %d 次，请 %d 分钟后再试", MaxFailedLogins, int(LockoutDuration.Minutes()))
		}
		if known {
			s.audit(ctx, id, "login_failed", id, "密码错误，来自 "+addr)
		} else {
			// An unknown ID is not written down: it may be a PIN typed
			// into the wrong field.
			s.audit(ctx, "", "login_failed", "", "账号不存在，来自 "+addr)
		}
		if alarm {
			s.Log.Printf("ALARM: console sign-in: %d wrong PINs for one account within %s", SignInAlarm, LockoutDuration)
		}
		s.showLogin(w, r, http.StatusUnauthorized, msg)
		return
	}
	s.throttle.refund(addr)
	s.throttle.succeeded(id, addr)
	if err := s.Store.SetConsoleLogin(ctx, id, 0, time.Time{}); err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.audit(ctx, id, "login", id, ""); err != nil {
		s.internal(w, r, err)
		return
	}
	token, _ := s.sessions.add(u, now)
	s.setCookie(w, sessionCookie, token, 0)
	s.setCookie(w, loginCookie, "", -1)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value)
	}
	s.audit(r.Context(), sessionOf(r).user.ID, "logout", sessionOf(r).user.ID, "")
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
