package pinhash

import (
	"encoding/base64"
	"strings"
	"testing"
)

var cheap = Params{Time: 1, Memory: 1024, Threads: 1}

func TestHashAndCheck(t *testing.T) {
	h, err := Hash("135790", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := Check("135790", h); !ok || err != nil {
		t.Fatalf("right PIN: %v %v", ok, err)
	}
	if ok, err := Check("135791", h); ok || err != nil {
		t.Fatalf("wrong PIN: %v %v", ok, err)
	}
	h2, _ := Hash("135790", cheap)
	if h2 == h {
		t.Fatal("two hashes of one PIN share a salt")
	}
}

// A hash edited in the database never matches and never costs more than
// the bounds allow.
func TestCheckRefusesTamperedHashes(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	for name, h := range map[string]string{
		"empty key":     "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$",
		"short key":     "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString([]byte("short")),
		"empty salt":    "$argon2id$v=19$m=1024,t=1,p=1$$" + salt,
		"huge memory":   "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + salt,
		"huge time":     "$argon2id$v=19$m=1024,t=1000,p=1$" + salt + "$" + salt,
		"no threads":    "$argon2id$v=19$m=1024,t=1,p=0$" + salt + "$" + salt,
		"argon2i":       "$argon2i$v=19$m=1024,t=1,p=1$" + salt + "$" + salt,
		"other version": "$argon2id$v=16$m=1024,t=1,p=1$" + salt + "$" + salt,
		"not base64":    "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$!!!!",
		"empty":         "",
	} {
		if ok, err := Check("135790", h); ok || err == nil {
			t.Errorf("%s: ok=%v err=%v, want an error", name, ok, err)
		}
	}
}
