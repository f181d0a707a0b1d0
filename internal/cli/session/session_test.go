package session_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/cli/session"
)

func sample(n int) session.Session {
	return session.Session{
		Server:       "http://127.0.0.1:8200",
		Username:     "alice",
		SessionID:    fmt.Sprintf("sess-%d", n),
		AccessToken:  fmt.Sprintf("eyJ.access.%d", n),
		ExpiresAt:    time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		RefreshToken: fmt.Sprintf("rt_%d", n),
	}
}

func TestSaveCreatesAPrivateFileInAPrivateDirectory(t *testing.T) {
	t.Parallel()
	st := session.Store{Dir: filepath.Join(t.TempDir(), "a", "portcullis")}
	if err := st.Save(sample(1)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(st.Dir)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", di.Mode().Perm())
	}
	got, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := sample(1)
	want.Version = 1
	if got != want {
		t.Errorf("loaded %+v, want %+v", got, want)
	}
	entries, _ := os.ReadDir(st.Dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want only the session file (no temporary files left)", entries)
	}
}

func TestLoadRefusesAFileOthersCanReadOrWrite(t *testing.T) {
	t.Parallel()
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o666} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			t.Parallel()
			st := session.Store{Dir: t.TempDir()}
			if err := st.Save(sample(1)); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(st.Path(), mode); err != nil {
				t.Fatal(err)
			}
			_, err := st.Load()
			if err == nil || !strings.Contains(err.Error(), "accessible by group or others") || !strings.Contains(err.Error(), "chmod 600") {
				t.Fatalf("Load error = %v", err)
			}
		})
	}
}

func TestLoadWithoutFileIsErrNoSession(t *testing.T) {
	t.Parallel()
	_, err := session.Store{Dir: t.TempDir()}.Load()
	if !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadRefusesWhatIsNotASessionFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content, want string
	}{
		{"garbage", "{not json", "not a session file"},
		{"trailing data", `{"version":1,"server":"http://h","access_token":"a"} {}`, "data after the JSON object"},
		{"another version", `{"version":2,"server":"http://h","access_token":"a"}`, "version 2"},
		{"no server", `{"version":1,"access_token":"a"}`, "not an http(s) URL"},
		{"a file: URL", `{"version":1,"server":"file:///etc","access_token":"a"}`, "not an http(s) URL"},
		{"no token", `{"version":1,"server":"http://h"}`, "no access token"},
		{"header injection", `{"version":1,"server":"http://h","access_token":"a\r\nX-Evil: 1"}`, "characters a token cannot have"},
		{"too large", `{"version":1,"username":"` + strings.Repeat("x", 70<<10) + `"}`, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := session.Store{Dir: t.TempDir()}
			if err := os.WriteFile(st.Path(), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := st.Load()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "log in again") {
				t.Fatalf("Load error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	t.Run("a directory", func(t *testing.T) {
		t.Parallel()
		st := session.Store{Dir: t.TempDir()}
		if err := os.Mkdir(st.Path(), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Load(); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("Load error = %v", err)
		}
	})
}

func TestSaveRefusesAnInvalidSession(t *testing.T) {
	t.Parallel()
	st := session.Store{Dir: t.TempDir()}
	bad := sample(1)
	bad.Server = "127.0.0.1:8200"
	if err := st.Save(bad); err == nil {
		t.Fatal("saved a session without a usable server URL")
	}
	if _, err := os.Stat(st.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file was written: %v", err)
	}
}

// Readers running beside writers see one whole session or another, never a
// half-written file: Save replaces the file by renaming.
func TestSaveIsAtomicForConcurrentReaders(t *testing.T) {
	t.Parallel()
	st := session.Store{Dir: t.TempDir()}
	if err := st.Save(sample(0)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 100)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := st.Save(sample(w*1000 + i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s, err := st.Load()
				if err != nil {
					errs <- err
					return
				}
				if !strings.HasSuffix(s.AccessToken, strings.TrimPrefix(s.SessionID, "sess-")) {
					errs <- fmt.Errorf("mixed session %+v", s)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	entries, _ := os.ReadDir(st.Dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the session file", len(entries))
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	st := session.Store{Dir: t.TempDir()}
	if err := st.Remove(); err != nil {
		t.Fatalf("removing no session: %v", err)
	}
	if err := st.Save(sample(1)); err != nil {
		t.Fatal(err)
	}
	if err := st.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("after Remove: %v", err)
	}
}

func TestLockIsExclusive(t *testing.T) {
	t.Parallel()
	st := session.Store{Dir: t.TempDir()}
	unlock, err := st.Lock()
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan struct{})
	go func() {
		unlock2, err := st.Lock()
		if err != nil {
			t.Error(err)
		} else {
			unlock2()
		}
		close(acquired)
	}()
	select {
	case <-acquired:
		t.Fatal("a second Lock succeeded while the first was held")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	<-acquired
}

func TestExpiresWithin(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := session.Session{ExpiresAt: now.Add(61 * time.Second)}
	if s.ExpiresWithin(now, time.Minute) {
		t.Error("61s left is not within a minute")
	}
	if !s.ExpiresWithin(now.Add(time.Second), time.Minute) {
		t.Error("60s left is within a minute")
	}
}

func TestDefaultDirHonoursTheEnvironment(t *testing.T) {
	t.Setenv(session.EnvConfigDir, "/some/where")
	if d, err := session.DefaultDir(); err != nil || d != "/some/where" {
		t.Fatalf("DefaultDir = %q, %v", d, err)
	}
	t.Setenv(session.EnvConfigDir, "")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if d, err := session.DefaultDir(); err != nil || d != "/xdg/portcullis" {
		t.Fatalf("DefaultDir = %q, %v", d, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"server":"http://127.0.0.1:8200","username":"alice","session_id":"s","access_token":"a.b.c","expires_at":"2030-01-01T00:00:00Z","refresh_token":"r"}`))
	f.Add([]byte(`{"version":1,"server":"https://h","access_token":"a"}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":1,"server":"http://h","access_token":"a\u0000"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := session.Parse(raw)
		if err != nil {
			return
		}
		// What Parse accepts is what Save writes and Load reads back.
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted a session Validate refuses: %v", err)
		}
		if strings.ContainsAny(s.AccessToken+s.RefreshToken, " \r\n") {
			t.Fatalf("token with whitespace accepted: %q", s.AccessToken)
		}
	})
}
