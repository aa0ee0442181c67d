package certkiosk_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/liveness"
)

// Words for people live in the translations (assets/translation), once
// (issue 24). The engine and the kiosk's storage, roster and sync code
// carry codes and message keys; a Chinese literal there is words in the
// wrong place, unless it is data listed here with its reason.
var hanAllowed = []struct {
	file     string
	reason   string
	literals []string
}{
	{"roster/roster.go", "the roster file's format: the Chinese column headers offices' Excel files carry, the sex values and the date separators written in them",
		[]string{"身份证号", "身份证号码", "公民身份号码", "证件号码", "姓名", "性别", "出生日期", "待遇类别", "人员类别",
			"上次认证日期", "最近认证日期", "联系电话", "电话", "住址", "居住地址", "地址", "女", "男", "年", "月", "日"}},
	{"store/demo.go", "demo data, not words: the invented retirees' names, the pension categories and addresses a roster holds, the demo staff member's name",
		[]string{"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "秀英桂兰玉珍凤芳淑华建国志明德福文军伟强春梅丽霞永庆",
			"企业职工基本养老保险", "机关事业单位养老保险", "城乡居民基本养老保险", "幸福路 %d 号 %d 单元", "演示员"}},
	{"liveness/fixture/av.go", "test clips' sound: the sentences a voice says in the hall behind the retiree, rendered, never shown",
		[]string{"请问养老金资格认证在哪个窗口办理，我带了身份证", "下一位请到三号窗口，请带好您的证件和材料", "我妈妈腿脚不方便，今天是我陪她过来的"}},
}

// hanScanned are the trees checked: everything below the screens that
// may word something for staff or a retiree.
var hanScanned = []string{"liveness", "store", "roster", "sync", "check", "camera"}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// goFiles calls f with every non-test Go file under dir, parsed.
func goFiles(t *testing.T, dir string, f func(path string, fset *token.FileSet, file *ast.File)) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || dir == "." && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		f(filepath.ToSlash(path), fset, file)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNoChineseWordsOutsideTranslations(t *testing.T) {
	allowed := map[string]map[string]bool{}
	for _, a := range hanAllowed {
		if a.reason == "" {
			t.Errorf("%s: allowed without a reason", a.file)
		}
		allowed[a.file] = map[string]bool{}
		for _, l := range a.literals {
			allowed[a.file][l] = true
		}
	}
	used := map[string]map[string]bool{}
	n := 0
	for _, dir := range hanScanned {
		goFiles(t, dir, func(path string, fset *token.FileSet, file *ast.File) {
			ast.Inspect(file, func(node ast.Node) bool {
				lit, ok := node.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || !hasHan(s) {
					return true
				}
				if allowed[path][s] {
					if used[path] == nil {
						used[path] = map[string]bool{}
					}
					used[path][s] = true
					return true
				}
				n++
				t.Errorf("%s: Chinese literal %q: put the words in assets/translation and use their key (or list it in hanAllowed with a reason)", fset.Position(lit.Pos()), s)
				return true
			})
		})
	}
	// The allow-list holds only what is there.
	for _, a := range hanAllowed {
		for _, l := range a.literals {
			if !used[a.file][l] {
				t.Errorf("%s: allowed literal %q is gone; take it off hanAllowed", a.file, l)
			}
		}
	}
	if n > 0 {
		t.Logf("%d Chinese literals outside the translations", n)
	}
}

// TestTranslationKeysExist: every key the Go code names is in both the
// Chinese and the English file, and the two files hold the same keys. A
// key is named by lang.L("…"), translation.Text(l, "…"), certkiosk.E(code,
// "…"), Msg{Key: "…"}, key = "…", and the roster's reason("…")
// (error.roster.…); and keys are made from liveness's codes
// (prompt.<issue>, reason.<issue or reason>).
func TestTranslationKeysExist(t *testing.T) {
	zh, en := translation.Keys(translation.Chinese), translation.Keys(translation.English)
	if len(zh) == 0 || len(en) == 0 {
		t.Fatal("no translations")
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: in zh_Hans.json, missing from en.json", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s: in en.json, missing from zh_Hans.json", k)
		}
	}
	want := map[string]string{} // key → where
	for _, dir := range []string{".", "ui", "check", "camera", "liveness", "store", "roster", "sync", "cmd/kioskctl", "cmd/certkiosk", "cmd/centrald"} {
		goFiles(t, dir, func(path string, fset *token.FileSet, file *ast.File) {
			add := func(e ast.Expr, prefix string) {
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						want[prefix+s] = fset.Position(lit.Pos()).String()
					}
				}
			}
			ast.Inspect(file, func(node ast.Node) bool {
				switch n := node.(type) {
				case *ast.CallExpr:
					switch fn := n.Fun.(type) {
					case *ast.SelectorExpr:
						pkg, _ := fn.X.(*ast.Ident)
						switch {
						case pkg == nil:
						case pkg.Name == "lang" && fn.Sel.Name == "L" && len(n.Args) > 0:
							add(n.Args[0], "")
						case (pkg.Name == "certkiosk" && fn.Sel.Name == "E" || pkg.Name == "translation" && fn.Sel.Name == "Text") && len(n.Args) > 1:
							add(n.Args[1], "")
						}
					case *ast.Ident:
						switch {
						case fn.Name == "E" && dir == "." && len(n.Args) > 1:
							add(n.Args[1], "")
						case fn.Name == "reason" && dir == "roster" && len(n.Args) > 0:
							add(n.Args[0], "error.roster.")
						}
					}
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Key" {
						add(n.Value, "")
					}
				case *ast.AssignStmt:
					if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "key" && len(n.Rhs) == 1 {
						add(n.Rhs[0], "")
					}
				}
				return true
			})
		})
	}
	if len(want) < 100 {
		t.Fatalf("found only %d keys in the Go code", len(want))
	}
	issues := []liveness.Issue{liveness.IssueNoFace, liveness.IssueMultipleFaces, liveness.IssueTooSmall,
		liveness.IssueTooLarge, liveness.IssueOffCentre, liveness.IssueTooDark, liveness.IssueTooBright,
		liveness.IssueBlurred, liveness.IssueTurnedAway, liveness.IssueTurnRight, liveness.IssueTurnLeft,
		liveness.IssueLookUp, liveness.IssueLookDown}
	for _, is := range issues {
		want["prompt."+is.Code] = "liveness issue " + is.Code
		want["reason."+is.Code] = "liveness issue " + is.Code
	}
	for _, r := range []string{liveness.ReasonNoBlink, liveness.ReasonNoSpeech, liveness.ReasonTimeout,
		liveness.ReasonNoVoice, liveness.ReasonVoiceWithoutLips, liveness.ReasonOutOfSync,
		liveness.ReasonTooNoisy, liveness.ReasonDigitCount} {
		want["reason."+r] = "liveness reason " + r
	}
	t.Logf("%d keys named in Go", len(want))
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s: key %s missing from zh_Hans.json", want[k], k)
		}
		if _, ok := en[k]; !ok {
			t.Errorf("%s: key %s missing from en.json", want[k], k)
		}
	}
}

// A message by key is worded in either language, its values filled in,
// and a message among the values worded first.
func TestErrorsAreWordedFromTheTranslations(t *testing.T) {
	inner := certkiosk.Msg{Key: "error.roster.sex"}
	err := certkiosk.E(certkiosk.EINVALID, "error.roster.rejected", "roster rejected").
		With("Count", 2).With("Line", 3).With("Reason", inner)
	if got, want := translation.Error(translation.Chinese, err), "名册有2行错误，未导入任何数据（第一处在第3行：性别应填“男”或“女”）"; got != want {
		t.Errorf("Chinese: %q, want %q", got, want)
	}
	if got := translation.Error(translation.English, err); !strings.HasPrefix(got, "The roster has 2 bad line(s)") || !strings.Contains(got, "Sex must be") {
		t.Errorf("English: %q", got)
	}
	// Words made outside the translations (the central's) show in Chinese;
	// in English the error's kind.
	words := certkiosk.Errorf(certkiosk.ENOTFOUND, "没有找到", "not found")
	if translation.Error(translation.Chinese, words) != "没有找到" || translation.Error(translation.English, words) != en(t, "error.not_found") {
		t.Errorf("words: %q / %q", translation.Error(translation.Chinese, words), translation.Error(translation.English, words))
	}
}

func en(t *testing.T, key string) string {
	t.Helper()
	s, ok := translation.Text(translation.English, key, nil)
	if !ok {
		t.Fatalf("no %s", key)
	}
	return s
}
