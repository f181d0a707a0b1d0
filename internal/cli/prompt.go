package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/portcullis/portcullis/secretsd/client"
)

// terminal returns stdin's file descriptor when stdin is a terminal.
func (a *app) terminal() (int, bool) {
	f, ok := a.stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// readLine reads the next line of a non-terminal stdin, without its line
// ending. Lines are read one by one, so a script can send the password and
// then a code on the next line.
func (a *app) readLine(what string) (string, error) {
	if a.lines == nil {
		a.lines = bufio.NewReader(a.stdin)
	}
	line, err := a.lines.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("no %s on stdin", what)
		}
		return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readSecret asks for a secret: without echo on a terminal, else the next
// line of stdin. It never shows what was typed.
func (a *app) readSecret(prompt, what string) (string, error) {
	fd, tty := a.terminal()
	if !tty {
		return a.readLine(what)
	}
	fmt.Fprint(a.stderr, prompt)
	// Echo is off while reading; restore the terminal if the user gives up
	// with Ctrl-C, or the shell is left without echo.
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			_ = term.Restore(fd, state)
			fmt.Fprintln(a.stderr)
			os.Exit(130)
		case <-done:
		}
	}()
	b, err := term.ReadPassword(fd)
	signal.Stop(sig)
	close(done)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	return string(b), nil
}

// readVisible asks for something that may be echoed (a username).
func (a *app) readVisible(prompt, what string) (string, error) {
	if _, tty := a.terminal(); tty {
		fmt.Fprint(a.stderr, prompt)
	}
	return a.readLine(what)
}

// password reads a password: the first line of stdin with --password-stdin,
// else from the terminal without echo. A password is never read from a
// pipe unasked, so that a script that forgot the flag fails instead of
// sending whatever its stdin holds.
func (a *app) password(fromStdin bool, prompt string) (string, error) {
	var pw string
	var err error
	switch _, tty := a.terminal(); {
	case fromStdin:
		pw, err = a.readLine("password")
	case tty:
		pw, err = a.readSecret(prompt, "password")
	default:
		return "", errors.New("stdin is not a terminal: pass --password-stdin to read the password from it")
	}
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", errors.New("empty password")
	}
	return pw, nil
}

// codeFlags are the flags that answer an MFA challenge without a prompt.
type codeFlags struct {
	code       string // --code: a TOTP code
	backupCode string // --backup-code
}

func (f *codeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.code, "code", "", "TOTP code (instead of the prompt)")
	cmd.Flags().StringVar(&f.backupCode, "backup-code", "", "backup code (instead of the prompt)")
	cmd.MarkFlagsMutuallyExclusive("code", "backup-code")
}

// errWebAuthnOnly explains why the CLI cannot finish a challenge.
var errWebAuthnOnly = errors.New("this account's only second factor is a WebAuthn security key, which needs a browser: " +
	"the CLI cannot use it; sign in through the control center, or add a TOTP device or backup codes there")

// proof answers a challenge: from the flags, else by asking. The method is
// chosen by the shape of what was typed (see proofFor).
func (a *app) proof(ch client.Challenge, f codeFlags) (client.Proof, error) {
	totp, backup := ch.Offers(client.MethodTOTP), ch.Offers(client.MethodBackupCode)
	var p client.Proof
	switch {
	case f.code != "":
		p = client.TOTPProof(strings.TrimSpace(f.code))
	case f.backupCode != "":
		p = client.BackupCodeProof(strings.TrimSpace(f.backupCode))
	default:
		if !totp && !backup {
			if ch.Offers(client.MethodWebAuthn) {
				return p, errWebAuthnOnly
			}
			return p, fmt.Errorf("the server offers no second-factor method the CLI knows (%s)", strings.Join(ch.Methods, ", "))
		}
		prompt := "TOTP code or backup code: "
		switch {
		case !backup:
			prompt = "TOTP code: "
		case !totp:
			prompt = "Backup code: "
		}
		in, err := a.readSecret(prompt, "second-factor code")
		if err != nil {
			return p, err
		}
		if p = proofFor(in); p.Method == "" {
			return p, errors.New("no code given")
		}
	}
	if !ch.Offers(p.Method) {
		return p, fmt.Errorf("this account has no %s to sign in with (it has: %s)", methodName(p.Method), strings.Join(ch.Methods, ", "))
	}
	return p, nil
}

// proofFor reads a typed code: 6 to 8 digits (spaces allowed, as apps show
// "123 456") is a TOTP code; anything else is a backup code.
func proofFor(in string) client.Proof {
	in = strings.TrimSpace(in)
	if in == "" {
		return client.Proof{}
	}
	digits := strings.ReplaceAll(in, " ", "")
	if len(digits) >= 6 && len(digits) <= 8 && strings.Trim(digits, "0123456789") == "" {
		return client.TOTPProof(digits)
	}
	return client.BackupCodeProof(in)
}

func methodName(m string) string {
	switch m {
	case client.MethodTOTP:
		return "TOTP device"
	case client.MethodBackupCode:
		return "backup codes"
	}
	return m
}
