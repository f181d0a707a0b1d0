package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/internal/cli/session"
	"github.com/portcullis/portcullis/secretsd/client"
)

// Server selection for the commands that talk to secretsd.
const (
	// DefaultServer is secretsd's default listen address.
	DefaultServer = "http://127.0.0.1:8200"
	// EnvServer overrides DefaultServer (and the session's server).
	EnvServer = "PORTCULLIS_SERVER"
	// refreshBefore: an access token this close to its expiry is refreshed
	// before use, so that it does not expire on the way.
	refreshBefore = 60 * time.Second
)

// app is the state one run of the CLI shares between its commands: the
// global flags and the terminal.
type app struct {
	server    string // --server; "" when not given
	configDir string // --config-dir
	format    string // -o

	stdin  io.Reader
	lines  *bufio.Reader // lines of stdin when it is not a terminal
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
}

// addGlobalFlags declares the flags every secretsd command understands.
func (a *app) addGlobalFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&a.server, "server", "", "secretsd URL (default $"+EnvServer+", else the session's server, else "+DefaultServer+")")
	f.StringVar(&a.configDir, "config-dir", "", "directory of the session file (default $"+session.EnvConfigDir+", else <user config dir>/portcullis)")
	f.StringVarP(&a.format, "output", "o", string(output.FormatTable), "output format: table or json")
}

// outputFormat validates -o.
func (a *app) outputFormat() (output.Format, error) { return output.ParseFormat(a.format) }

func (a *app) store() (session.Store, error) {
	dir := a.configDir
	if dir == "" {
		var err error
		if dir, err = session.DefaultDir(); err != nil {
			return session.Store{}, err
		}
	}
	return session.Store{Dir: dir}, nil
}

// explicitServer is the server named by --server or the environment, "" if neither.
func (a *app) explicitServer() string {
	if a.server != "" {
		return a.server
	}
	return os.Getenv(EnvServer)
}

// anonymous is a client for commands that need no login (login itself).
func (a *app) anonymous(fallback string) (*client.Client, error) {
	server := a.explicitServer()
	if server == "" {
		server = fallback
	}
	if server == "" {
		server = DefaultServer
	}
	return client.New(server)
}

var (
	errNotLoggedIn  = errors.New("not logged in: run `portcullis login` first")
	errSessionEnded = errors.New("the session has ended")
)

// loggedIn loads the session, refreshing its access token first when it
// expires within a minute (or always, with force), and returns a client
// that authenticates with it.
func (a *app) loggedIn(ctx context.Context, force bool) (*client.Client, session.Session, error) {
	st, err := a.store()
	if err != nil {
		return nil, session.Session{}, err
	}
	s, err := st.Load()
	if errors.Is(err, session.ErrNoSession) {
		return nil, s, errNotLoggedIn
	}
	if err != nil {
		return nil, s, err
	}
	if want := a.explicitServer(); want != "" && !sameServer(want, s.Server) {
		return nil, s, fmt.Errorf("the session is for %s, not %s: run `portcullis login --server %s`", s.Server, want, want)
	}
	c, err := client.New(s.Server)
	if err != nil {
		return nil, s, err
	}
	if force || s.ExpiresWithin(a.now(), refreshBefore) {
		if s, err = a.refresh(ctx, c, st, s, force); err != nil {
			return nil, s, err
		}
	}
	return c.WithBearer(s.AccessToken), s, nil
}

// client opens a command that talks to secretsd as the session's user and
// prints a result: -o is checked first, so that a typo fails before anything
// is asked of secretsd, then the session is loaded (see loggedIn).
func (a *app) client(cmd *cobra.Command) (*client.Client, error) {
	c, _, err := a.clientSession(cmd)
	return c, err
}

// clientSession is client, with the session the client uses.
func (a *app) clientSession(cmd *cobra.Command) (*client.Client, session.Session, error) {
	if _, err := a.outputFormat(); err != nil {
		return nil, session.Session{}, err
	}
	return a.loggedIn(cmd.Context(), false)
}

// query runs a command that asks secretsd one thing and shows the answer:
// ask is a client method, e.g. (*client.Client).WhoAmI.
func query[T any](a *app, cmd *cobra.Command, ask func(*client.Client, context.Context) (T, error), show func(T) error) error {
	c, err := a.client(cmd)
	if err != nil {
		return err
	}
	v, err := ask(c, cmd.Context())
	if err != nil {
		return err
	}
	return show(v)
}

// refresh rotates the session's refresh token under the session lock,
// reloading the session inside it: another portcullis may have refreshed
// meanwhile, and presenting its spent refresh token again would look like
// token theft to secretsd and end the session.
func (a *app) refresh(ctx context.Context, c *client.Client, st session.Store, old session.Session, force bool) (session.Session, error) {
	unlock, err := st.Lock()
	if err != nil {
		return old, err
	}
	defer unlock()
	s, err := st.Load()
	if err != nil {
		return old, err
	}
	refreshedMeanwhile := s.RefreshToken != old.RefreshToken
	if refreshedMeanwhile || (!force && !s.ExpiresWithin(a.now(), refreshBefore)) {
		return s, nil
	}
	if s.RefreshToken == "" {
		return s, errors.New("the session has no refresh token: run `portcullis login`")
	}
	t, err := c.Refresh(ctx, s.RefreshToken)
	if client.IsCode(err, client.CodeInvalidGrant) {
		// The session is over on the server (expired, revoked, or ended by
		// reuse detection): the local copy is of no use any more.
		_ = st.Remove()
		return s, fmt.Errorf("%w (%v): run `portcullis login`", errSessionEnded, err)
	}
	if err != nil {
		return s, fmt.Errorf("refreshing the access token: %w", err)
	}
	applyTokens(&s, t)
	if err := st.Save(s); err != nil {
		return s, err
	}
	return s, nil
}

// updateSession stores tokens that replace the session's access token,
// under the session lock and on the session as it is now: another
// portcullis may have rotated the refresh token meanwhile, and writing back
// the spent one would end the session at the next refresh.
func (a *app) updateSession(sessionID string, t client.Tokens) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	unlock, err := st.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	s, err := st.Load()
	if err != nil {
		return err
	}
	if s.SessionID != sessionID {
		return errors.New("the session changed meanwhile (another login?); the new token was not kept")
	}
	applyTokens(&s, t)
	return st.Save(s)
}

// applyTokens puts new tokens into the session. A step-up answers with no
// refresh token: the session's stays valid.
func applyTokens(s *session.Session, t client.Tokens) {
	s.AccessToken = t.AccessToken
	s.ExpiresAt = t.ExpiresAt
	if s.ExpiresAt.IsZero() && t.ExpiresIn > 0 {
		s.ExpiresAt = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if t.RefreshToken != "" {
		s.RefreshToken = t.RefreshToken
	}
	if t.SessionID != "" {
		s.SessionID = t.SessionID
	}
}

func sameServer(a, b string) bool {
	ca, err1 := client.New(a)
	cb, err2 := client.New(b)
	return err1 == nil && err2 == nil && ca.BaseURL() == cb.BaseURL()
}

// print writes v as JSON with -o json, or calls table otherwise.
func (a *app) print(v any, table func(w io.Writer) error) error {
	f, err := a.outputFormat()
	if err != nil {
		return err
	}
	if f == output.FormatJSON {
		return output.JSON(a.stdout, v)
	}
	return table(a.stdout)
}

// note tells the user something beside the result (on stderr, so that
// stdout stays the result alone).
func (a *app) note(format string, args ...any) {
	fmt.Fprintf(a.stderr, format+"\n", args...)
}

// oneLine keeps an error on one line of the terminal whatever it wraps.
func oneLine(s string) string { return output.Cell(s) }
