package main

// The office console: served under /console/ on the same listener, its
// accounts (console-user) and its lists from the command line (report).

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/user"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/console"

	"golang.org/x/term"
)

// stdin and stdinIsTerminal are variables so tests can feed PINs.
var (
	stdin           io.Reader = os.Stdin
	stdinIsTerminal           = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
	consoleKDF                = console.DefaultKDF
)

// withConsole serves the console under /console/ beside the terminals'
// API when the storage can hold it, and refreshes the pension state in
// the background until ctx ends; done waits for that to stop.
func withConsole(ctx context.Context, st central.Storage, keys *central.Keys, logger *log.Logger, api http.Handler, secure bool, cutoffDay int,
	clientAddr func(*http.Request) string) (both, apiOnly, consoleOnly http.Handler, done func()) {
	cst, ok := st.(central.ConsoleStorage)
	if !ok {
		return api, api, http.NotFoundHandler(), func() {}
	}
	srv := &console.Server{Store: cst, Keys: keys, Log: logger, Secure: secure, CutoffDay: cutoffDay, ClientAddr: clientAddr}
	ch := srv.Handler()
	apiOnly = console.RecordReports(api, cst, time.Now, logger)
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, ch)
	mux.Handle("/", apiOnly)
	cmux := http.NewServeMux()
	cmux.Handle(console.Prefix, ch)
	cmux.Handle("/{$}", http.RedirectHandler(console.Prefix, http.StatusSeeOther))
	stopped := make(chan struct{})
	go func() { defer close(stopped); srv.Run(ctx, time.Minute) }()
	return mux, apiOnly, cmux, func() { <-stopped }
}

// consoleCommand runs console-user and report (cutoffDay: --cutoff-day).
func consoleCommand(ctx context.Context, st central.Storage, args []string, cutoffDay int, stdout, stderr io.Writer) error {
	cst, ok := st.(central.ConsoleStorage)
	if !ok {
		return fmt.Errorf("%s: this storage has no console", args[0])
	}
	switch args[0] {
	case "console-user":
		return cmdConsoleUser(ctx, cst, args[1:], stdout, stderr)
	case "report":
		return cmdReport(ctx, cst, args[1:], cutoffDay, stdout, stderr)
	}
	return errUsage
}

func cmdConsoleUser(ctx context.Context, st central.ConsoleStorage, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "disable" || args[0] == "enable" || args[0] == "pin") {
		return cmdConsoleUserChange(ctx, st, args, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "add" {
		return errUsage
	}
	fs := flag.NewFlagSet("console-user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "account ID (letters, digits, - and _)")
	name := fs.String("name", "", "the person's name")
	role := fs.String("role", central.RoleReviewer, "reviewer or admin")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return errUsage
	}
	if !console.ValidUserID(*id) || strings.TrimSpace(*name) == "" {
		return certkiosk.Errorf(certkiosk.EINVALID, "请用 --id 和 --name 填写账号和姓名（账号只用字母、数字、- 和 _）",
			"console-user add: --id %q or --name missing or malformed", *id)
	}
	if *role != central.RoleReviewer && *role != central.RoleAdmin {
		return certkiosk.Errorf(certkiosk.EINVALID, "角色只能是 reviewer 或 admin", "unknown role %q", *role)
	}
	pin, err := readPIN(stderr, "密码 / PIN: ")
	if err != nil {
		return err
	}
	if err := console.ValidPIN(pin); err != nil {
		return err
	}
	hash, err := console.HashPIN(pin, consoleKDF)
	if err != nil {
		return err
	}
	u := central.User{ID: *id, Name: strings.TrimSpace(*name), Role: *role}
	if err := st.AddConsoleUser(ctx, u, hash, time.Now()); err != nil {
		if errors.Is(err, central.ErrExists) {
			return certkiosk.Errorf(certkiosk.ECONFLICT, "这个账号已经存在", "console-user add %s: %v", *id, err)
		}
		return err
	}
	st.ConsoleAudit(ctx, central.AuditEntry{At: time.Now(), User: cliActor(), Action: "user_add", Subject: *id, Detail: *role})
	fmt.Fprintf(stdout, "console user %s (%s, %s) added; sign in at /console/\n", u.ID, u.Name, u.Role)
	return nil
}

// cmdConsoleUserChange disables or enables an account, or gives it a new
// PIN (read like add's); each ends the account's sessions at their next
// request, and is audited.
func cmdConsoleUserChange(ctx context.Context, st central.ConsoleStorage, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("console-user "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "account ID")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 || !console.ValidUserID(*id) {
		return errUsage
	}
	var err error
	var done string
	switch args[0] {
	case "disable", "enable":
		err = st.SetConsoleUserDisabled(ctx, *id, args[0] == "disable")
		done = map[string]string{"disable": "disabled", "enable": "enabled"}[args[0]]
	case "pin":
		pin, perr := readPIN(stderr, "新密码 / new PIN: ")
		if perr != nil {
			return perr
		}
		if perr := console.ValidPIN(pin); perr != nil {
			return perr
		}
		hash, herr := console.HashPIN(pin, consoleKDF)
		if herr != nil {
			return herr
		}
		err = st.SetConsolePIN(ctx, *id, hash, time.Now())
		done = "given a new PIN"
	}
	if errors.Is(err, central.ErrNotFound) {
		return certkiosk.Errorf(certkiosk.ENOTFOUND, "没有这个账号", "console-user %s: no account %s", args[0], *id)
	}
	if err != nil {
		return err
	}
	st.ConsoleAudit(ctx, central.AuditEntry{At: time.Now(), User: cliActor(), Action: "user_" + args[0], Subject: *id})
	fmt.Fprintf(stdout, "console user %s %s; its sessions end\n", *id, done)
	return nil
}

// readPIN reads a PIN: one line from stdin when it is not a terminal (so
// scripts can pipe it), else twice from the terminal without echo.
func readPIN(stderr io.Writer, prompt string) (string, error) {
	if !stdinIsTerminal() {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", certkiosk.Errorf(certkiosk.EINVALID, "没有读到密码（从标准输入读取）", "read PIN from stdin: %v", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(stderr, prompt)
	a, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read PIN: %w", err)
	}
	fmt.Fprint(stderr, "再输入一次 / again: ")
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read PIN: %w", err)
	}
	if string(a) != string(b) {
		return "", certkiosk.Errorf(certkiosk.EINVALID, "两次输入的密码不一致", "PINs differ")
	}
	return string(a), nil
}

// cliActor names whoever runs centrald in the console's audit trail.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "centrald:" + u.Username
	}
	return "centrald"
}

// checkCutoffDay checks a back-pay cut-off day (--cutoff-day of serve and
// of report): a day of the month.
func checkCutoffDay(d int) error {
	if d < 1 || d > 31 {
		return certkiosk.Errorf(certkiosk.EINVALID, "补发截止日应为 1 到 31 之间的日期",
			"--cutoff-day %d: want a day of the month, 1 to 31", d)
	}
	return nil
}

// cmdReport prints a list for the payment system, exactly as the console
// exports it: centrald report suspensions|resumptions|due --month YYYY-MM --csv.
func cmdReport(ctx context.Context, st central.ConsoleStorage, args []string, cutoffDay int, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errUsage
	}
	name := args[0]
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	month := fs.String("month", "", "YYYY-MM (default: this month)")
	asCSV := fs.Bool("csv", false, "CSV (UTF-8 with BOM) on stdout")
	cutoff := fs.Int("cutoff-day", cutoffDay, "back pay one month later when certified after this day (default: centrald --cutoff-day)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return errUsage
	}
	if err := checkCutoffDay(*cutoff); err != nil {
		return err
	}
	today := central.DayOf(time.Now())
	m := certkiosk.MonthOf(today)
	if *month != "" {
		var err error
		if m, err = certkiosk.ParseMonth(*month); err != nil {
			return certkiosk.Errorf(certkiosk.EINVALID, "月份格式应为 年-月，例如 2026-12", "report --month: %v", err)
		}
	}
	if _, err := st.RefreshPension(ctx); err != nil {
		return err
	}
	t, err := console.BuildList(ctx, st, name, m, today, *cutoff)
	if err != nil {
		return certkiosk.Errorf(certkiosk.EINVALID, "名单只有 suspensions、resumptions、due 三种", "report: %v", err)
	}
	if err := st.ConsoleAudit(ctx, central.AuditEntry{At: time.Now(), User: cliActor(), Action: "export",
		Subject: name + ".csv", Detail: fmt.Sprintf("%s，%d 人（命令行）", m, len(t.Rows))}); err != nil {
		return err
	}
	if *asCSV {
		return t.WriteCSV(stdout)
	}
	fmt.Fprintf(stdout, "%s: %d\n%s\n", t.Title, len(t.Rows), strings.Join(t.Header, "\t"))
	for _, r := range t.Rows {
		fmt.Fprintln(stdout, strings.Join(r, "\t"))
	}
	return nil
}
