package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/store"
	"certkiosk/sync/terminal"

	"golang.org/x/term"
)

// stdin and stdinIsTerminal are variables so tests can feed PINs.
var (
	stdin           io.Reader = os.Stdin
	stdinIsTerminal           = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
)

// actor names whoever runs kioskctl in the audit log.
func actor() string {
	if u, err := user.Current(); err == nil {
		return "kioskctl:" + u.Username
	}
	return "kioskctl"
}

// openStore opens the data directory's database, refusing to create one
// anywhere but through init.
func openStore(ctx context.Context, e *env) (*store.DB, error) {
	if _, err := os.Stat(e.dataDir); err != nil {
		return nil, certkiosk.Errorf(certkiosk.ENOTFOUND, "数据目录不存在，请先运行 kioskctl init",
			"data directory %s: %v", e.dataDir, err)
	}
	return store.Open(ctx, e.dataDir)
}

// readPIN reads a PIN: one line from stdin when it is not a terminal (so
// scripts can pipe it), else twice from the terminal without echo.
func readPIN(e *env, prompt string) (string, error) {
	if !stdinIsTerminal() {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", certkiosk.Errorf(certkiosk.EINVALID, "没有读到密码（从标准输入读取）", "read PIN from stdin: %v", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(e.stderr, prompt)
	a, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read PIN: %w", err)
	}
	fmt.Fprint(e.stderr, "再输入一次 / again: ")
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read PIN: %w", err)
	}
	if string(a) != string(b) {
		return "", certkiosk.Errorf(certkiosk.EINVALID, "两次输入的密码不一致", "PINs differ")
	}
	return string(a), nil
}

// cmdInit creates the database, the first admin and the local evidence key.
func cmdInit(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	admin := fs.String("admin", "", "staff ID of the first admin")
	name := fs.String("name", "管理员", "the admin's name")
	keyOut := fs.String("evidence-key-out", "", "write the evidence identity to this file (e.g. on a USB stick) instead of stdout")
	loadTest := fs.Bool("load-test", false, "make this a load-test directory (kioskctl loadgen); never for real data")
	if err := fs.Parse(args); err != nil || *admin == "" || fs.NArg() > 0 {
		return errUsage
	}
	db, err := store.Open(ctx, e.dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := db.StaffCount(ctx); err != nil {
		return err
	} else if n > 0 {
		return certkiosk.Errorf(certkiosk.ECONFLICT, "该终端已初始化（已有工作人员账号）", "already initialised: %d staff account(s)", n)
	}
	if *loadTest {
		if err := db.MarkLoadTest(ctx, actor()); err != nil {
			return err
		}
	}
	pin, err := readPIN(e, "管理员密码 / admin PIN: ")
	if err != nil {
		return err
	}
	if err := db.AddStaff(ctx, actor(), certkiosk.Staff{ID: *admin, Name: *name, Role: certkiosk.RoleAdmin}, pin); err != nil {
		return err
	}
	identity, err := db.CreateLocalEvidenceKey(ctx, actor())
	if err != nil {
		return err
	}
	if err := db.Audit(ctx, actor(), store.ActInit, *admin, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "initialised %s with admin %s\n", e.dataDir, *admin)
	msg := "# Evidence private key: shown once, not kept on this terminal. Give it to the supervisor;\n" +
		"# without it nobody can open this terminal's evidence until enrollment replaces the key.\n"
	if *keyOut != "" {
		if err := writeSecretFile(*keyOut, []byte(msg+identity+"\n")); err != nil {
			return certkiosk.Errorf(certkiosk.EUNAVAILABLE, "证据私钥文件无法写入（文件已存在或目录不可写）", "write evidence key: %v", err)
		}
		fmt.Fprintf(e.stdout, "evidence key written to %s\n", *keyOut)
		return nil
	}
	fmt.Fprint(e.stdout, msg+identity+"\n")
	return nil
}

func cmdRoster(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "import":
		fs := flag.NewFlagSet("roster import", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		encoding := fs.String("encoding", store.EncodingAuto, "auto, utf8 or gbk")
		if err := fs.Parse(reorder(args[1:])); err != nil || fs.NArg() != 1 {
			return errUsage
		}
		data, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return certkiosk.Errorf(certkiosk.ENOTFOUND, "名册文件打不开", "read roster: %v", err)
		}
		db, err := openStore(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		res, err := db.ImportRoster(ctx, actor(), data, *encoding)
		if ie, ok := err.(*store.ImportError); ok {
			fmt.Fprintf(e.stderr, "名册未导入：%d 行有错误 / roster rejected, nothing imported:\n", len(ie.Lines))
			for _, l := range ie.Lines {
				fmt.Fprintf(e.stderr, "  第 %d 行 (line %d): %s\n", l.Line, l.Line, translation.Msg(translation.Chinese, l.Reason))
			}
			return err
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "imported %d rows (%s): %d added, %d updated, %d unchanged\n",
			res.Rows, res.Encoding, res.Added, res.Updated, res.Unchanged)
		return nil
	case "pull":
		if len(args) != 1 {
			return errUsage
		}
		db, c, err := openEnrolled(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		res, err := terminal.PullRoster(ctx, db, c, actor())
		if err != nil {
			return err
		}
		kind := "delta"
		if res.Full {
			kind = "full snapshot"
		}
		fmt.Fprintf(e.stdout, "roster v%d (%s): %d upserted, %d removed\n", res.Version, kind, res.Upserted, res.Removed)
		ph, err := terminal.PullPhotos(ctx, db, c, actor())
		if err != nil {
			return err
		}
		for _, p := range ph.Problems {
			fmt.Fprintf(e.stderr, "  reference photo %s\n", p)
		}
		if ph.Fetched+ph.Dropped+ph.Left > 0 {
			fmt.Fprintf(e.stdout, "reference photos: %d fetched, %d withdrawn, %d missing at the central, %d not matching, %d still to fetch\n",
				ph.Fetched, ph.Dropped, ph.Missing, ph.Mismatched, ph.Left)
		}
		return nil
	case "find":
		fs := flag.NewFlagSet("roster find", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		asJSON := fs.Bool("json", false, "print JSON: masked ID, due date, pension status")
		var flags, pos []string // `find ID --json` and `find --json ID` both work
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				flags = append(flags, a)
			} else {
				pos = append(pos, a)
			}
		}
		if err := fs.Parse(append(flags, pos...)); err != nil || fs.NArg() != 1 {
			return errUsage
		}
		id, err := certkiosk.ParseResidentID(fs.Arg(0))
		if err != nil {
			return err
		}
		db, err := openStore(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		r, err := db.LookupRetiree(ctx, actor(), id)
		if err != nil {
			return err
		}
		today := certkiosk.DateOf(time.Now().In(certkiosk.China))
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(retireeOf(r, today))
		}
		due := "-"
		if !r.LastCert.IsZero() {
			due = certkiosk.DueDate(r.LastCert).String()
		}
		p := r.PensionOn(today)
		pension := p.Status.Chinese()
		if p.Status == certkiosk.PensionSuspended {
			pension += " since " + p.SuspendedSince.String()
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\tlast %s\tdue %s\t%s\t%s\n", r.ID.Masked(), r.Name, r.Category,
			orDash(r.LastCert.String()), due, certkiosk.CycleStatus(r.LastCert, today), pension)
		return nil
	}
	return errUsage
}

func cmdStaff(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "add":
		fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		id := fs.String("id", "", "staff ID")
		name := fs.String("name", "", "name")
		role := fs.String("role", string(certkiosk.RoleOperator), "operator, supervisor or admin")
		if err := fs.Parse(args[1:]); err != nil || *id == "" || fs.NArg() > 0 {
			return errUsage
		}
		r, err := certkiosk.ParseRole(*role)
		if err != nil {
			return err
		}
		pin, err := readPIN(e, "密码 / PIN: ")
		if err != nil {
			return err
		}
		if err := db.AddStaff(ctx, actor(), certkiosk.Staff{ID: *id, Name: *name, Role: r}, pin); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "added %s (%s)\n", *id, r)
		return nil
	case "passwd":
		fs := flag.NewFlagSet("staff passwd", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		id := fs.String("id", "", "staff ID")
		if err := fs.Parse(args[1:]); err != nil || *id == "" || fs.NArg() > 0 {
			return errUsage
		}
		pin, err := readPIN(e, "新密码 / new PIN: ")
		if err != nil {
			return err
		}
		if err := db.SetPIN(ctx, actor(), *id, pin); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "PIN of %s changed\n", *id)
		return nil
	case "list":
		list, err := db.ListStaff(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tDISABLED")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", s.ID, s.Name, s.Role, s.Disabled)
		}
		return tw.Flush()
	}
	return errUsage
}

// recordJSON is a certification as `records list --json` prints it: the
// identity number masked.
type recordJSON struct {
	ID        string          `json:"id"`
	Retiree   string          `json:"retiree"`
	Staff     string          `json:"staff"`
	Terminal  string          `json:"terminal"`
	Method    string          `json:"method"`
	Verdict   string          `json:"verdict"`
	Reason    string          `json:"reason"`
	Attempt   int             `json:"attempt"`
	Receipt   string          `json:"receipt"`
	Sync      string          `json:"sync_state"`
	Started   time.Time       `json:"started_at"`
	Ended     time.Time       `json:"ended_at"`
	Metrics   json.RawMessage `json:"metrics"`
	Synthetic bool            `json:"synthetic"`
	// FrameSource is where the frames came from: camera, file, demo, none.
	FrameSource string `json:"frame_source"`
	// PhotoMatch is staff's answer to 「本人与照片一致」, absent when no
	// reference photo was shown.
	PhotoMatch *bool `json:"photo_match,omitempty"`
	// SpeechCheck is which read-digits check ran: lips (no microphone)
	// or lips_voice; absent for blink records.
	SpeechCheck string `json:"speech_check,omitempty"`
	// ResumeMonth, BackpayMonths and BackpayMonth are set on a pass that
	// ended a suspension (YYYY-MM, months paid back, YYYY-MM).
	ResumeMonth   string `json:"resume_month,omitempty"`
	BackpayMonths int    `json:"backpay_months,omitempty"`
	BackpayMonth  string `json:"backpay_month,omitempty"`
}

func cmdRecords(ctx context.Context, e *env, args []string) error {
	if len(args) == 1 && args[0] == "purge-evidence" {
		db, err := openStore(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		n, err := db.PurgeEvidence(ctx, actor())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "purged evidence of %d acknowledged record(s) past retention\n", n)
		if n, err = db.PurgeReferencePhotos(ctx, actor()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "purged %d reference photo(s) past retention\n", n)
		return nil
	}
	if len(args) == 0 || args[0] != "list" {
		return errUsage
	}
	fs := flag.NewFlagSet("records list", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	state := fs.String("state", "", "pending, sent or acked")
	asJSON := fs.Bool("json", false, "print JSON lines")
	limit := fs.Int("limit", 1000, "at most this many, newest first")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	f := store.CertFilter{Limit: *limit}
	if *state != "" {
		st, err := certkiosk.ParseSyncState(*state)
		if err != nil {
			return err
		}
		f.State = st
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.ListCertifications(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		for _, c := range list {
			if err := enc.Encode(recordJSON{c.ID, c.RetireeID.Masked(), c.StaffID, c.Terminal, string(c.Method),
				string(c.Verdict), c.Reason, c.Attempt, string(c.Receipt), string(c.Sync), c.Started, c.Ended,
				c.Metrics, c.Synthetic, string(c.FrameSource), c.PhotoMatch, string(c.SpeechCheck), c.Resume.String(), c.BackpayMonths,
				c.BackpayMonth.String()}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDED\tRETIREE\tMETHOD\tVERDICT\tRECEIPT\tSYNC")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Ended.Local().Format("2006-01-02 15:04"), c.RetireeID.Masked(),
			c.Method, c.Verdict, c.Receipt, c.Sync)
	}
	return tw.Flush()
}

// cmdAudit verifies the audit log's chain; with --anchor SEQ:HASH (what
// `centrald terminal audit --id ID` prints) also that the entry the
// central last acknowledged is still there unchanged, which a history
// rewritten and re-chained on this disk cannot fake.
func cmdAudit(ctx context.Context, e *env, args []string) error {
	if len(args) < 1 || args[0] != "verify" {
		return errUsage
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	anchor := fs.String("anchor", "", "SEQ:HASH, the central's last acknowledged head (centrald terminal audit --id ID)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	var seq int64
	var hash string
	if *anchor != "" {
		s, h, ok := strings.Cut(*anchor, ":")
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil || n < 0 || len(h) != 64 {
			return certkiosk.Errorf(certkiosk.EINVALID, "--anchor 格式应为 序号:哈希", "--anchor %q: want SEQ:HASH", *anchor)
		}
		seq, hash = n, h
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.VerifyAuditAnchor(ctx, seq, hash)
	if err != nil {
		return err
	}
	if !rep.OK {
		return certkiosk.Errorf(certkiosk.ECONFLICT, fmt.Sprintf("审计日志被篡改：第 %d 条", rep.BadSeq),
			"audit log broken at entry %d of %d: %s", rep.BadSeq, rep.Entries, rep.Problem)
	}
	fmt.Fprintf(e.stdout, "OK: %d audit entries, chain intact (head %s)", rep.Entries, rep.HeadHash[:16])
	if seq > 0 {
		fmt.Fprintf(e.stdout, "; entry %d is the one the central acknowledged", seq)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// reorder moves flags before positional arguments, so both
// `roster import FILE --encoding gbk` and `roster import --encoding gbk FILE` work.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeSecretFile creates path readable by its owner only (0600), never
// reusing an existing file, whose mode might let others read it.
func writeSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// retireeJSON is a retiree as `roster find --json` prints it: the identity
// number and phone masked, the pension standing as of today.
type retireeJSON struct {
	ID             string  `json:"id"` // masked
	Name           string  `json:"name"`
	Category       string  `json:"category"`
	LastCert       *string `json:"last_cert"` // YYYY-MM-DD, null when never
	DueDate        *string `json:"due_date"`  // null when no certification is on record
	Status         string  `json:"status"`    // in_time, due_soon, overdue, suspended (unknown: never certified)
	StatusText     string  `json:"status_text"`
	SuspendedSince *string `json:"suspended_since"` // YYYY-MM, null unless suspended
	Phone          string  `json:"phone"`           // masked
	Address        string  `json:"address"`
	ContactChecked *string `json:"contact_checked"`
}

func retireeOf(r certkiosk.Retiree, today certkiosk.Date) retireeJSON {
	p := r.PensionOn(today)
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return retireeJSON{ID: r.ID.Masked(), Name: r.Name, Category: r.Category, LastCert: opt(r.LastCert.String()),
		DueDate: opt(p.Due.String()), Status: string(p.Status), StatusText: p.Status.Chinese(),
		SuspendedSince: opt(p.SuspendedSince.String()), Phone: certkiosk.MaskPhone(r.Phone), Address: r.Address,
		ContactChecked: opt(r.ContactChecked.String())}
}
