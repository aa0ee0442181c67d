package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"certkiosk"
	"certkiosk/central"

	"filippo.io/age"
)

// DashboardDays is how many days the dashboard counts and charts.
const DashboardDays = 14

type terminalSum struct {
	Terminal           string
	Pass, Fail, Manual int
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.refresh(ctx); err != nil {
		s.internal(w, r, err)
		return
	}
	today := s.today()
	counts, err := s.Store.PensionCounts(ctx, today)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	first := central.AddDays(today, -(DashboardDays - 1))
	from := time.Date(first.Year, first.Month, first.Day, 0, 0, 0, 0, central.China)
	days, err := s.Store.Daily(ctx, from, from.AddDate(0, 0, DashboardDays))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	perDay := make([]central.DayCount, DashboardDays)
	for i := range perDay {
		perDay[i].Day = central.AddDays(first, i)
	}
	sums := map[string]*terminalSum{}
	for _, d := range days {
		i := first.DaysUntil(d.Day)
		if i < 0 || i >= DashboardDays {
			continue
		}
		perDay[i].Pass += d.Pass
		perDay[i].Fail += d.Fail
		perDay[i].Manual += d.Manual
		t := sums[d.Terminal]
		if t == nil {
			t = &terminalSum{Terminal: d.Terminal}
			sums[d.Terminal] = t
		}
		t.Pass, t.Fail, t.Manual = t.Pass+d.Pass, t.Fail+d.Fail, t.Manual+d.Manual
	}
	var terms []terminalSum
	for _, t := range sums {
		terms = append(terms, *t)
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].Terminal < terms[j].Terminal })
	s.render(w, r, "dashboard", "概览", map[string]any{"Counts": counts, "Days": perDay, "Terminals": terms,
		"Chart": template.HTML(barChart(perDay)), "Month": certkiosk.MonthOf(today)})
}

// QueueLimit is how many open cases the queue page lists.
const QueueLimit = 200

func (s *Server) queue(w http.ResponseWriter, r *http.Request) {
	if err := s.refresh(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	cases, err := s.Store.OpenCases(r.Context(), QueueLimit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, "review", "待复核", map[string]any{"Cases": cases, "Limit": QueueLimit})
}

// caseView is a case with the retiree's roster entry and earlier passes.
type caseView struct {
	central.Case
	Retiree *central.Retiree
	Earlier []central.Case
	Metrics []metric
	Pension certkiosk.Pension
	Message string
}

type metric struct{ Name, Value string }

// metricNames are the Chinese names of the metrics terminals send.
var metricNames = map[string]string{
	"blinks": "眨眼次数", "syllables": "读出音节", "frames": "帧数", "fps": "帧率", "duration_ms": "用时（毫秒）",
	"face_frames": "检测到人脸的帧", "quality": "画面质量", "ear_baseline": "睁眼基线", "pose": "头部姿态",
}

func metricsOf(js string) []metric {
	var m map[string]any
	if json.Unmarshal([]byte(js), &m) != nil {
		return nil
	}
	var out []metric
	for k, v := range m {
		name := metricNames[k]
		if name == "" {
			name = k
		}
		b, _ := json.Marshal(v)
		out = append(out, metric{name, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// EarlierPasses is how many earlier passes a case shows beside its frame.
const EarlierPasses = 3

func (s *Server) loadCase(r *http.Request) (caseView, int, error) {
	id := r.PathValue("id")
	if !central.CanonicalUUIDv7(id) {
		return caseView{}, http.StatusNotFound, central.ErrNotFound
	}
	c, err := s.Store.Case(r.Context(), id)
	if errors.Is(err, central.ErrNotFound) {
		return caseView{}, http.StatusNotFound, err
	}
	if err != nil {
		return caseView{}, http.StatusInternalServerError, err
	}
	v := caseView{Case: c, Metrics: metricsOf(c.Metrics)}
	if rt, err := s.Store.Retiree(r.Context(), c.RetireeID); err == nil {
		v.Retiree = &rt
		v.Pension = rt.Pension(s.today())
	}
	recs, err := s.Store.RecordsOf(r.Context(), c.RetireeID, 50)
	if err != nil {
		return v, http.StatusInternalServerError, err
	}
	for _, e := range recs {
		if e.RecordID != c.RecordID && e.Verdict == string(certkiosk.VerdictPass) && len(v.Earlier) < EarlierPasses {
			v.Earlier = append(v.Earlier, e)
		}
	}
	return v, http.StatusOK, nil
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	v, status, err := s.loadCase(r)
	if status == http.StatusNotFound {
		s.problem(w, r, status, "没有这条认证记录", nil)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, "case", "复核认证记录", v)
}

// MaxReasonRunes bounds a decision's reason.
const MaxReasonRunes = 200

func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	v, status, err := s.loadCase(r)
	if status == http.StatusNotFound {
		s.problem(w, r, status, "没有这条认证记录", nil)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	decision := r.PostForm.Get("decision")
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	switch {
	case decision != central.Approve && decision != central.Reject:
		v.Message = "请选择“通过”或“驳回”"
	case reason == "":
		v.Message = "请填写复核意见（理由）"
	case utf8.RuneCountInString(reason) > MaxReasonRunes || !utf8.ValidString(reason):
		v.Message = fmt.Sprintf("复核意见最多 %d 字", MaxReasonRunes)
	}
	if v.Message != "" {
		w.WriteHeader(http.StatusUnprocessableEntity)
		s.render(w, r, "case", "复核认证记录", v)
		return
	}
	user := sessionOf(r).user.ID
	now := s.Now()
	err = s.Store.Decide(r.Context(), v.RecordID, decision, reason, user, now, central.DayOf(now))
	if errors.Is(err, central.ErrDecided) {
		v.Message = "这条记录已经由其他人复核过了"
		w.WriteHeader(http.StatusConflict)
		s.render(w, r, "case", "复核认证记录", v)
		return
	}
	if errors.Is(err, central.ErrNotFound) {
		s.problem(w, r, http.StatusNotFound, "这条记录不在复核队列中", nil)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	word := map[string]string{central.Approve: "通过", central.Reject: "驳回"}[decision]
	s.audit(r.Context(), user, "decide", v.RecordID, word+"："+reason)
	http.Redirect(w, r, "/console/review?done="+v.RecordID, http.StatusSeeOther)
}

// MaxFrameBytes bounds a decrypted frame held in memory.
const MaxFrameBytes = 8 << 20

// frame decrypts a record's best frame with the central's identities, in
// memory only, and sends it; every view is audited before it is sent.
func (s *Server) frame(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !central.CanonicalUUIDv7(id) {
		s.problem(w, r, http.StatusNotFound, "没有这张照片", nil)
		return
	}
	ct, err := s.Store.Evidence(r.Context(), id, "best_frame")
	if errors.Is(err, central.ErrNotFound) {
		s.problem(w, r, http.StatusNotFound, "没有这张照片", nil)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rd, err := age.Decrypt(bytes.NewReader(ct), s.Keys.Identities()...)
	if err != nil {
		s.internal(w, r, fmt.Errorf("decrypt frame of %s: %w", id, err))
		return
	}
	img, err := io.ReadAll(io.LimitReader(rd, MaxFrameBytes+1))
	if err != nil || len(img) > MaxFrameBytes {
		s.internal(w, r, fmt.Errorf("read frame of %s: %v (%d bytes)", id, err, len(img)))
		return
	}
	ctype := http.DetectContentType(img)
	if ctype != "image/jpeg" && ctype != "image/png" {
		s.internal(w, r, fmt.Errorf("frame of %s is %s, not an image", id, ctype))
		return
	}
	if err := s.audit(r.Context(), sessionOf(r).user.ID, "view_face", id, ""); err != nil {
		s.internal(w, r, err) // no unaudited view
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store, private")
	w.Write(img)
}

// SearchLimit bounds a retiree search.
const SearchLimit = 50

func (s *Server) retirees(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Query": q}
	if q != "" {
		if utf8.RuneCountInString(q) > 40 {
			data["Message"] = "请输入身份证号或姓名"
		} else {
			if err := s.refresh(r.Context()); err != nil {
				s.internal(w, r, err)
				return
			}
			rs, err := s.Store.FindRetirees(r.Context(), q, SearchLimit)
			if err != nil {
				s.internal(w, r, err)
				return
			}
			if len(rs) == 1 {
				http.Redirect(w, r, "/console/retirees/"+rs[0].ID, http.StatusSeeOther)
				return
			}
			type hit struct {
				central.Retiree
				Pension certkiosk.Pension
			}
			var hits []hit
			for _, rt := range rs {
				hits = append(hits, hit{rt, rt.Pension(s.today())})
			}
			data["Hits"] = hits
			if len(hits) == 0 {
				data["Message"] = "没有找到。请输入完整的 18 位身份证号，或完整姓名。"
			}
		}
	}
	s.render(w, r, "retirees", "离退休人员", data)
}

type retireeView struct {
	central.Retiree
	Contact  *central.RetireeContact // what terminals checked and changed (nil: nothing)
	Pension  certkiosk.Pension
	Episodes []episodeView
	Records  []central.Case
	Resumed  *episodeView
}

type episodeView struct {
	central.Episode
	Months  int
	Backpay certkiosk.Month
}

func (s *Server) retiree(w http.ResponseWriter, r *http.Request) {
	id, err := certkiosk.ParseResidentID(r.PathValue("id"))
	if err != nil {
		s.problem(w, r, http.StatusNotFound, "身份证号不正确", nil)
		return
	}
	ctx := r.Context()
	if err := s.refresh(ctx); err != nil {
		s.internal(w, r, err)
		return
	}
	rt, err := s.Store.Retiree(ctx, string(id))
	if errors.Is(err, central.ErrNotFound) {
		s.problem(w, r, http.StatusNotFound, "名册中没有这个人", nil)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := retireeView{Retiree: rt, Pension: rt.Pension(s.today())}
	eps, err := s.Store.Episodes(ctx, rt.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, e := range eps {
		n, m := e.Backpay(s.CutoffDay)
		v.Episodes = append(v.Episodes, episodeView{e, n, m})
	}
	// Resumed: the latest suspension ended and its back pay is still
	// to come or arrives this month.
	if n := len(v.Episodes); n > 0 && !v.Episodes[n-1].Backpay.Before(certkiosk.MonthOf(s.today())) &&
		v.Pension.Status != certkiosk.PensionSuspended {
		v.Resumed = &v.Episodes[n-1]
	}
	switch c, err := s.Store.RetireeContact(ctx, rt.ID); {
	case err == nil:
		v.Contact = &c
	case !errors.Is(err, central.ErrNotFound):
		s.internal(w, r, err)
		return
	}
	if v.Records, err = s.Store.RecordsOf(ctx, rt.ID, 100); err != nil {
		s.internal(w, r, err)
		return
	}
	// The page shows the full phone, address and relative: no audit, no page.
	if err := s.audit(ctx, sessionOf(r).user.ID, "view_retiree", certkiosk.Mask(rt.ID), ""); err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, "retiree", rt.Name, v)
}

// monthParam reads ?month=YYYY-MM (default: this month).
func (s *Server) monthParam(r *http.Request) (certkiosk.Month, error) {
	v := r.URL.Query().Get("month")
	if v == "" {
		return certkiosk.MonthOf(s.today()), nil
	}
	m, err := certkiosk.ParseMonth(v)
	if err != nil || m.Year < 2000 || m.Year > 2200 {
		return certkiosk.Month{}, fmt.Errorf("month %q: want YYYY-MM", v)
	}
	return m, nil
}

// PreviewRows is how many rows of each list the lists page shows.
const PreviewRows = 20

func (s *Server) lists(w http.ResponseWriter, r *http.Request) {
	m, err := s.monthParam(r)
	if err != nil {
		s.problem(w, r, http.StatusBadRequest, "月份格式应为 年-月，例如 2026-12", nil)
		return
	}
	if err := s.refresh(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	var tables []*Table
	for _, name := range ListNames {
		t, err := BuildListHead(r.Context(), s.Store, name, m, s.today(), s.CutoffDay, PreviewRows)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		tables = append(tables, t)
	}
	s.render(w, r, "lists", "名单导出", map[string]any{"Month": m, "Tables": tables, "Preview": PreviewRows,
		"Prev": m.Add(-1), "Next": m.Add(1)})
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name, ext, _ := strings.Cut(file, ".")
	if !validList(name) || ext != "csv" && ext != "xlsx" {
		s.problem(w, r, http.StatusNotFound, "没有这个名单", nil)
		return
	}
	m, err := s.monthParam(r)
	if err != nil {
		s.problem(w, r, http.StatusBadRequest, "月份格式应为 年-月，例如 2026-12", nil)
		return
	}
	if err := s.refreshAll(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	today := s.today()
	t, err := NewTable(name, m, today, s.CutoffDay)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	from, to := DueRange(m, today)
	susp, res, due, err := s.Store.ListCounts(r.Context(), m, from, to)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	n := map[string]int{ListSuspensions: susp, ListResumptions: res, ListDue: due}[name]
	if err := s.audit(r.Context(), sessionOf(r).user.ID, "export", file, fmt.Sprintf("%s，%d 人", m, n)); err != nil {
		s.internal(w, r, err) // no unaudited export
		return
	}
	download := fmt.Sprintf("%s-%s.%s", name, m, ext)
	w.Header().Set("Content-Disposition", `attachment; filename="`+download+`"`)
	newWriter := NewCSV
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if ext == "xlsx" {
		newWriter = NewXLSX
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	// Streamed as the rows come: once the first byte is out, a failure
	// can only cut the file short (the log says why).
	out, err := newWriter(w, t.Header)
	if err == nil {
		err = EachRow(r.Context(), s.Store, name, m, today, s.CutoffDay, 0, out.Write)
	}
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		s.Log.Printf("export %s: %v", file, err)
	}
}

func (s *Server) terminals(w http.ResponseWriter, r *http.Request) {
	s.showTerminals(w, r, http.StatusOK, nil)
}

func (s *Server) showTerminals(w http.ResponseWriter, r *http.Request, status int, extra map[string]any) {
	ts, err := s.Store.Terminals(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	data := map[string]any{"Terminals": ts}
	for k, v := range extra {
		data[k] = v
	}
	w.WriteHeader(status)
	s.render(w, r, "terminals", "终端", data)
}

// TokenTTL is how long an enrollment token made in the console is valid.
const TokenTTL = 24 * time.Hour

func validTerminalID(id string) bool { return ValidUserID(id) }

func (s *Server) addTerminal(w http.ResponseWriter, r *http.Request) {
	id, name := strings.TrimSpace(r.PostForm.Get("id")), strings.TrimSpace(r.PostForm.Get("name"))
	if !validTerminalID(id) || name == "" || utf8.RuneCountInString(name) > 60 {
		s.showTerminals(w, r, http.StatusUnprocessableEntity, map[string]any{"Message": "请填写终端编号（字母、数字、-）和名称"})
		return
	}
	token := central.NewToken()
	if err := s.Store.AddTerminal(r.Context(), id, name, central.TokenHash(token), s.Now(), s.Now().Add(TokenTTL)); err != nil {
		if errors.Is(err, central.ErrExists) {
			s.showTerminals(w, r, http.StatusConflict, map[string]any{"Message": "这个编号的终端已经注册；如需新注册码请点“重新注册”"})
			return
		}
		s.internal(w, r, err)
		return
	}
	s.audit(r.Context(), sessionOf(r).user.ID, "terminal_token", id, "新终端")
	s.showTerminals(w, r, http.StatusOK, map[string]any{"Token": token, "TokenFor": id, "TTL": "24 小时"})
}

func (s *Server) terminalAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	if !validTerminalID(id) {
		s.problem(w, r, http.StatusNotFound, "没有这个终端", nil)
		return
	}
	ctx := r.Context()
	var err error
	extra := map[string]any{}
	switch action {
	case "revoke":
		err = s.Store.RevokeTerminal(ctx, id)
		extra["Message"] = "终端 " + id + " 已停用"
	case "enable":
		// Re-enabling needs a new enrollment with a new key: the old one
		// may have leaked, which is why the terminal was revoked.
		token := central.NewToken()
		err = s.Store.EnableTerminal(ctx, id, central.TokenHash(token), s.Now().Add(TokenTTL))
		extra["Token"], extra["TokenFor"], extra["TTL"] = token, id, "24 小时"
		extra["Message"] = "终端 " + id + " 已重新启用：请用下面的注册码重新注册，终端须生成新密钥"
	case "reenroll":
		token := central.NewToken()
		err = s.Store.ReenrollToken(ctx, id, central.TokenHash(token), s.Now().Add(TokenTTL))
		extra["Token"], extra["TokenFor"], extra["TTL"] = token, id, "24 小时"
	default:
		s.problem(w, r, http.StatusNotFound, "没有这项操作", nil)
		return
	}
	if errors.Is(err, central.ErrNotFound) {
		s.showTerminals(w, r, http.StatusNotFound, map[string]any{"Message": "终端 " + id + " 不存在或状态不允许这项操作"})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.audit(ctx, sessionOf(r).user.ID, "terminal_"+action, id, "")
	s.showTerminals(w, r, http.StatusOK, extra)
}

// AuditPage is how many entries one page of the audit log shows.
const AuditPage = 100

// auditPage shows the audit log a page at a time, newest first, filtered
// by action and user: nothing falls off it, however much noise is added.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := central.AuditFilter{Action: q.Get("action"), User: q.Get("user")}
	if f.Action != "" && actionWords[f.Action] == "" || f.User != "" && !ValidUserID(f.User) {
		s.problem(w, r, http.StatusBadRequest, "筛选条件不正确", nil)
		return
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			s.problem(w, r, http.StatusBadRequest, "页码不正确", nil)
			return
		}
		f.Before = n
	}
	es, err := s.Store.ConsoleAuditLog(r.Context(), f, AuditPage+1)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var older string
	if len(es) > AuditPage {
		es = es[:AuditPage]
		v := url.Values{"before": {strconv.FormatInt(es[len(es)-1].Seq, 10)}}
		if f.Action != "" {
			v.Set("action", f.Action)
		}
		if f.User != "" {
			v.Set("user", f.User)
		}
		older = Prefix + "audit?" + v.Encode()
	}
	var actions [][2]string
	for k, v := range actionWords {
		actions = append(actions, [2]string{k, v})
	}
	sort.Slice(actions, func(i, j int) bool { return actions[i][0] < actions[j][0] })
	s.render(w, r, "audit", "操作记录", map[string]any{"Entries": es, "Older": older, "Filter": f,
		"Actions": actions, "First": f.Before == 0, "PageSize": AuditPage})
}

// undoContact takes back a terminal's contact change (admins only): the
// retiree's contact falls back to the changes still standing, or to the
// office's roster, and every terminal gets it with its next roster.
func (s *Server) undoContact(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" || len(id) > 64 {
		s.problem(w, r, http.StatusNotFound, "没有这条修改", nil)
		return
	}
	ctx := r.Context()
	user := sessionOf(r).user.ID
	retiree, err := s.Store.UndoContactChange(ctx, id, user, s.Now())
	if errors.Is(err, central.ErrNotFound) {
		s.problem(w, r, http.StatusNotFound, "没有这条修改，或它已被拒绝或撤销", nil)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.audit(ctx, user, "contact_undo", certkiosk.Mask(retiree), id); err != nil {
		s.internal(w, r, err)
		return
	}
	http.Redirect(w, r, Prefix+"retirees/"+retiree+"#chg", http.StatusSeeOther)
}
