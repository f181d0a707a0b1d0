package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/cli/session"
)

func TestLoginWithoutMFAKeepsAPrivateSession(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	dir := t.TempDir()
	code, stdout, stderr := runIn(t, "correct horse\n", "login", "-u", "alice", "--password-stdin", "--server", f.srv.URL, "--config-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Logged in to "+f.srv.URL+" as alice (session s1)") {
		t.Errorf("stdout %q", stdout)
	}
	if strings.Contains(stdout+stderr, "correct horse") || strings.Contains(stdout+stderr, "at-0") {
		t.Error("the password or a token was printed")
	}
	fi, err := os.Stat(filepath.Join(dir, session.FileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v, %v", fi, err)
	}
	s, err := session.Store{Dir: dir}.Load()
	if err != nil || s.AccessToken != "at-0" || s.RefreshToken != "rt-0" || s.Username != "alice" || s.Server != f.srv.URL {
		t.Fatalf("session %+v, %v", s, err)
	}
}

func TestLoginAnswersTheChallengeByTheShapeOfTheCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		methods []string
		stdin   string
		flags   []string
		want    map[string]any
	}{
		{"six digits are a TOTP code", []string{"totp", "backup_code"}, "correct horse\n123456\n", nil, map[string]any{"method": "totp", "code": "123456"}},
		{"spaces inside a TOTP code are dropped", []string{"totp", "backup_code"}, "correct horse\n123 456\n", nil, map[string]any{"method": "totp", "code": "123456"}},
		{"anything else is a backup code", []string{"totp", "backup_code"}, "correct horse\nabcde-fghij\n", nil, map[string]any{"method": "backup_code", "backup_code": "abcde-fghij"}},
		{"--code for scripts", []string{"totp"}, "correct horse\n", []string{"--code", "123456"}, map[string]any{"method": "totp", "code": "123456"}},
		{"--backup-code for scripts", []string{"backup_code", "webauthn"}, "correct horse\n", []string{"--backup-code", "abcde-fghij"}, map[string]any{"method": "backup_code", "backup_code": "abcde-fghij"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.methods = tc.methods
			loginFake(t, f, tc.stdin, tc.flags...)
			tc.want["mfa_token"] = "mfa-1"
			got, _ := json.Marshal(f.lastProof)
			want, _ := json.Marshal(tc.want)
			if string(got) != string(want) {
				t.Errorf("proof sent %s, want %s", got, want)
			}
		})
	}
}

func TestLoginErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		methods []string
		stdin   string
		args    []string
		want    string
	}{
		{"wrong password", nil, "wrong\n", nil, "login: invalid username or password (401 invalid_credentials)"},
		{"wrong code", []string{"totp"}, "correct horse\n654321\n", nil, "login: invalid second factor (401 invalid_mfa)"},
		{"WebAuthn only is explained", []string{"webauthn"}, "correct horse\n", nil, "only second factor is a WebAuthn security key, which needs a browser"},
		{"a method the account lacks", []string{"totp"}, "correct horse\nabcde-fghij\n", nil, "this account has no backup codes to sign in with (it has: totp)"},
		{"no code on stdin", []string{"totp"}, "correct horse\n", nil, "no second-factor code on stdin"},
		{"no password on stdin", nil, "", nil, "no password on stdin"},
		{"no --password-stdin with a pipe", nil, "correct horse\n", []string{"--password-stdin=false"}, "stdin is not a terminal: pass --password-stdin"},
		{"both code flags", []string{"totp"}, "correct horse\n", []string{"--code", "1", "--backup-code", "2"}, "none of the others can be"},
		{"unknown output format", nil, "correct horse\n", []string{"-o", "yaml"}, `-o "yaml": want table or json`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.methods = tc.methods
			args := append([]string{"login", "-u", "alice", "--password-stdin", "--server", f.srv.URL, "--config-dir", t.TempDir()}, tc.args...)
			code, stdout, stderr := runIn(t, tc.stdin, args...)
			if code != 1 || stdout != "" {
				t.Fatalf("exit %d, stdout %q", code, stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "portcullis: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tc.want)
			}
			for _, secret := range []string{"correct horse", "654321", "abcde"} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr shows %q", secret)
				}
			}
		})
	}
}

func TestWhoAmITableAndJSON(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	code, stdout, stderr := runIn(t, "", append([]string{"whoami"}, g...)...)
	if code != 0 {
		t.Fatal(stderr)
	}
	want := "" +
		"USERNAME   alice\n" +
		"ID         u1\n" +
		"EMAIL      -\n" +
		"ROLE       Admin\n" +
		"TEAM       platform\n" +
		"GROUPS     oncall\n" +
		"MFA        yes\n" +
		"DISABLED   no\n" +
		"SESSION    s1\n" +
		"TOKEN ID   at-0\n" +
		"AUTH TIME  2030-01-01T00:00:00Z\n" +
		"AMR        pwd,otp\n" +
		"EXPIRES    2030-01-01T00:15:00Z\n"
	if stdout != want {
		t.Errorf("table:\n%s\nwant:\n%s", stdout, want)
	}
	code, stdout, stderr = runIn(t, "", append([]string{"whoami", "-o", "json"}, g...)...)
	if code != 0 {
		t.Fatal(stderr)
	}
	var me map[string]any
	if err := json.Unmarshal([]byte(stdout), &me); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if me["session_id"] != "s1" || me["user"].(map[string]any)["username"] != "alice" || !strings.Contains(stdout, "\n  \"user\": {") {
		t.Errorf("json:\n%s", stdout)
	}
}

func TestUsersListTableDefusesServerText(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	code, stdout, stderr := runIn(t, "", append([]string{"users", "list"}, g...)...)
	if code != 0 {
		t.Fatal(stderr)
	}
	want := "" +
		"ID   USERNAME  ROLE    TEAM      GROUPS     MFA  DISABLED  CREATED\n" +
		"u1   alice     Admin   platform  oncall,db  yes  no        2030-01-01T00:00:00Z\n" +
		"u22  bob [2J   Viewer  -         -          no   yes       2030-01-02T03:04:05Z\n"
	if stdout != want {
		t.Errorf("table:\n%s\nwant:\n%s", stdout, want)
	}
}

func TestTokenRefreshesOnlyNearExpiryOrWhenAsked(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	token := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runIn(t, "", append(append([]string{"token"}, args...), g...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return strings.TrimSpace(stdout)
	}
	if got := token(); got != "at-0" {
		t.Errorf("fresh token = %q, want at-0 unrefreshed", got)
	}
	if got := token("--refresh"); got != "at-1" {
		t.Errorf("--refresh gave %q, want at-1", got)
	}
	// A token expiring within 60 s is refreshed before it is printed.
	f.mu.Lock()
	f.ttl = 30 * time.Second
	f.mu.Unlock()
	if got := token("--refresh"); got != "at-2" {
		t.Fatalf("got %q", got)
	}
	if got := token(); got != "at-3" {
		t.Errorf("a token expiring in 30s was printed as is (%q), want at-3", got)
	}
}

func TestEndedSessionIsForgotten(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	f.mu.Lock()
	f.revoked = true
	f.mu.Unlock()
	code, _, stderr := runIn(t, "", append([]string{"token", "--refresh"}, g...)...)
	if code != 1 || !strings.Contains(stderr, "the session has ended") || !strings.Contains(stderr, "run `portcullis login`") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	code, _, stderr = runIn(t, "", append([]string{"whoami"}, g...)...)
	if code != 1 || !strings.Contains(stderr, "not logged in") {
		t.Fatalf("after the end: exit %d, %q", code, stderr)
	}
}

func TestCommandsRefuseAnotherServerThanTheSessions(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	code, _, stderr := runIn(t, "", "whoami", "--config-dir", g[3], "--server", "http://127.0.0.1:1")
	if code != 1 || !strings.Contains(stderr, "the session is for "+f.srv.URL+", not http://127.0.0.1:1") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
}

func TestLogoutForgetsTheSession(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	code, stdout, stderr := runIn(t, "", append([]string{"logout"}, g...)...)
	if code != 0 || !strings.Contains(stdout, "Logged out of "+f.srv.URL) {
		t.Fatalf("exit %d, %q %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(g[3], session.FileName)); !os.IsNotExist(err) {
		t.Errorf("session file still there: %v", err)
	}
	code, _, stderr = runIn(t, "", append([]string{"logout"}, g...)...)
	if code != 1 || stderr != "portcullis: not logged in\n" {
		t.Errorf("second logout: exit %d, %q", code, stderr)
	}
}

func TestRevokeNeedsExactlyOneTarget(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"revoke"}, {"revoke", "--token-id", "a", "--user-id", "b"}} {
		code, _, stderr := runIn(t, "", append(args, "--config-dir", t.TempDir())...)
		if code != 1 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}
