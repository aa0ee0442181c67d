package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certkiosk"
)

// idcardNow pins the clock the command decides expiry on.
var idcardNow = func() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, certkiosk.China) }

// simulate runs `kioskctl idcard simulate ARGS` in-process and returns the
// pty path it prints; the simulator stops with the test.
func simulate(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	var code int
	var errOut bytes.Buffer
	go func() {
		defer wg.Done()
		code = run(ctx, append([]string{"idcard", "simulate"}, args...), pw, &errOut)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if code != 0 {
			t.Errorf("simulate %v: exit %d: %s", args, code, errOut.String())
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("simulate %v: %v (%s)", args, err, errOut.String())
	}
	go io.Copy(io.Discard, pr)
	return strings.TrimSpace(line)
}

// readIdcard runs `kioskctl idcard read` on the pinned clock.
func readIdcard(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := command{"idcard", idcardUsage, idcardCommand(idcardNow)}
	saved := commands
	commands = []command{cmd}
	defer func() { commands = saved }()
	code = run(context.Background(), append([]string{"idcard", "read"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func cardFile(name string) string {
	return filepath.Join("..", "..", "idcard", "testdata", "cards", name)
}

func TestIdcardReadOverPTY(t *testing.T) {
	for _, c := range []struct {
		name string
		sim  []string
		want map[string]any
	}{
		{"long-term card", []string{"--card", cardFile("valid.json")}, map[string]any{
			"id": "11010519491231002X", "name": "王美娜", "sex": "女", "nation": "汉族", "birth": "1949-12-31",
			"address": "北京市朝阳区幸福路1号院2号楼3单元401室", "authority": "北京市公安局朝阳分局",
			"valid_from": "2016-03-01", "valid_to": "长期", "expired": false, "photo": "wlt"}},
		{"expired card, noisy line", []string{"--card", cardFile("expired.json"), "--garbage", "00AAAA9613", "--split", "5", "--bad-checksum", "1"},
			map[string]any{"id": "440106195510100019", "name": "欧阳建国", "sex": "男", "nation": "壮族", "birth": "1955-10-10",
				"address": "广东省广州市天河区示例路88号", "authority": "广州市公安局天河分局",
				"valid_from": "2005-06-01", "valid_to": "2025-06-01", "expired": true, "photo": "wlt"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dev := simulate(t, c.sim...)
			code, out, errOut := readIdcard(t, "--device", dev, "--timeout", "5s", "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, out, errOut)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %q", err, out)
			}
			if len(got) != len(c.want) {
				t.Errorf("keys: %v", got)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestIdcardReadFailures(t *testing.T) {
	for _, c := range []struct {
		name, want string
		sim        []string // nil: no simulator, a missing device
	}{
		{"no card", "no_card", []string{"--no-card"}},
		{"check digit", "bad_card", []string{"--card", cardFile("bad_check.json")}},
		{"always bad checksum", "bad_frame", []string{"--card", cardFile("valid.json"), "--bad-checksum", "1000"}},
		{"silent reader", "no_reader", []string{"--card", cardFile("valid.json"), "--silent", "1000"}},
		{"no device", "no_reader", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dev := filepath.Join(t.TempDir(), "ttyUSB0")
			if c.sim != nil {
				dev = simulate(t, c.sim...)
			}
			code, out, errOut := readIdcard(t, "--device", dev, "--timeout", "2s", "--json")
			var got map[string]string
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %q", err, out)
			}
			if code != 1 || got["error"] != c.want || got["message"] == "" {
				t.Fatalf("exit %d, %v, want %s (%s)", code, got, c.want, errOut)
			}
			if strings.Contains(out+errOut, "110105194912310021") {
				t.Errorf("output shows the number: %s %s", out, errOut)
			}
		})
	}
}

// Unplugging: the simulator's pty closes mid-way, the read says no_reader.
func TestIdcardUnplug(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"idcard", "simulate", "--no-card"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	time.AfterFunc(300*time.Millisecond, cancel)
	code, out, _ := readIdcard(t, "--device", strings.TrimSpace(line), "--timeout", "5s", "--json")
	if code != 1 || !strings.Contains(out, `"no_reader"`) {
		t.Fatalf("exit %d %s", code, out)
	}
	<-done
}

func TestIdcardUsage(t *testing.T) {
	for _, args := range [][]string{{"idcard"}, {"idcard", "read"}, {"idcard", "simulate"},
		{"idcard", "simulate", "--no-card", "--card", "x.json"}, {"idcard", "frob"}} {
		if code, _, _ := kioskctl(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(cardFile("valid.json")); err != nil {
		t.Fatal(err)
	}
}
