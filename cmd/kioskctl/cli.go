package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"certkiosk"
	"certkiosk/assets/translation"
)

type command struct {
	name, usage string
	run         func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: the data directory and the streams, so
// tests run commands in-process.
type env struct {
	dataDir        string
	stdout, stderr io.Writer
}

var commands = []command{
	{"version", "print the version", cmdVersion},
	{"id", "id check NUMBER — validate an identity number and show it masked", cmdID},
	{"democlip", "democlip --out FILE [--seconds S] — render the demo camera clip (blinks and speech)", cmdDemoClip},
	{"demo-roster", "demo-roster — put the demo roster into an empty database", cmdDemoRoster},
	{"liveness", "liveness --mode blink|digits --video FILE [--digits 4821] [--save-best OUT.jpg] [--blinks N] [--threads N] --json — judge a clip", cmdLiveness},
	{"fixture", "fixture --out DIR [--only NAME] — render the liveness test clips", cmdFixture},
	{"validate", "validate [--set dev|holdout|all] [--codec h264|mjpg] [--jobs N] [--kinds blink,talk,...] [-v] | validate --real DIR — BPCER/APCER on rendered faces, or real footage and speech with truth", cmdValidate},
	{"init", "init --admin ID [--name NAME] [--evidence-key-out FILE] — create the database and first admin (PIN on stdin)", cmdInit},
	{"roster", "roster import FILE [--encoding auto|utf8|gbk] | roster find ID | roster pull (from the central)", cmdRoster},
	{"staff", "staff add --id ID [--name N] [--role R] | staff passwd --id ID | staff list (PINs on stdin)", cmdStaff},
	{"records", "records list [--state pending|sent|acked] [--json] [--limit N] | records purge-evidence", cmdRecords},
	{"audit", "audit verify — check the audit log's hash chain", cmdAudit},
	{"enroll", "enroll --central URL --token TOKEN [--insecure-http] [--pin SHA256] — register with the central service", cmdEnroll},
	{"sync", "sync [--json] — send pending records; exit 0 when all are acknowledged", cmdSync},
	{"loadgen", "loadgen --records N --evidence-kb KB — save synthetic records for load tests", cmdLoadgen},
	{"export", "export --out FILE — write pending records to a signed bundle for offline delivery", cmdExport},
	{"receipt", "receipt verify TOKEN [--key BASE64] — check a receipt QR code's signature offline", cmdReceipt},
	{"idcard", idcardUsage, cmdIdcard},
	{"import-receipt", "import-receipt FILE — mark the records in the central's receipt acknowledged", cmdImportReceipt},
}

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &env{stdout: stdout, stderr: stderr}
	fs.StringVar(&e.dataDir, "data", certkiosk.DefaultDataDir(), "data directory")
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kioskctl [--data DIR] COMMAND [flags]")
		for _, c := range commands {
			fmt.Fprintf(stderr, "  %-12s %s\n", c.name, c.usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		cmdVersion(ctx, e, nil)
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	for _, c := range commands {
		if c.name != fs.Arg(0) {
			continue
		}
		err := c.run(ctx, e, fs.Args()[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp):
			fmt.Fprintf(stderr, "usage: kioskctl %s\n", c.usage)
			return 2
		default:
			// Chinese for staff, then the detail for whoever reads logs.
			fmt.Fprintf(stderr, "kioskctl %s: %s\n  (%v)\n", c.name, translation.Error(translation.Chinese, err), err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "kioskctl: unknown command %q\n", fs.Arg(0))
	fs.Usage()
	return 2
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fmt.Fprintln(e.stdout, "kioskctl", certkiosk.Version)
	return nil
}

func cmdID(_ context.Context, e *env, args []string) error {
	if len(args) != 2 || args[0] != "check" {
		return errUsage
	}
	id, err := certkiosk.ParseResidentID(args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "OK %s born %s %s\n", id.Masked(), id.BirthDate(), map[bool]string{true: "female", false: "male"}[id.Female()])
	return nil
}
