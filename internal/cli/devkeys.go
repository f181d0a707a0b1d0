package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/devtoken"
)

func newDevKeysCommand() *cobra.Command {
	var dir, alg string
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create a development signing key and its JWKS (kept when they already exist)",
		Long: `Create a development signing key in <dir>/` + DevKeyFile + ` (mode 0600) and
the public key set the gateway verifies against in <dir>/` + DevJWKSFile + `.
An existing key is kept, so running the command again is harmless; a missing
JWKS is written again from the existing key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := ensureDevKeys(dir, alg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s key %s (%s) in %s; JWKS %s\n", res.keyState, res.signer.KeyID(), res.signer.Alg, filepath.Join(dir, DevKeyFile), res.jwksState)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".run", "directory for the key and the JWKS")
	cmd.Flags().StringVar(&alg, "alg", "ES256", "signing algorithm of a new key: RS256, PS256, ES256 or EdDSA")
	return cmd
}

type devKeys struct {
	signer    *devtoken.Signer
	keyState  string // "created" or "kept"
	jwksState string // "written" or "kept"
}

// ensureDevKeys creates the key and JWKS files that are missing.
func ensureDevKeys(dir, alg string) (devKeys, error) {
	var res devKeys
	switch alg {
	case "RS256", "PS256", "ES256", "EdDSA":
	default:
		return res, fmt.Errorf("--alg %q is not one of RS256, PS256, ES256, EdDSA", alg)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, fmt.Errorf("creating %s: %w", dir, err)
	}
	keyPath := filepath.Join(dir, DevKeyFile)
	signer, err := loadDevSigner(dir)
	switch {
	case err == nil:
		res.keyState = "kept"
	case errors.Is(err, fs.ErrNotExist):
		if signer, err = devtoken.NewSigner(alg); err != nil {
			return res, fmt.Errorf("generating a %s key: %w", alg, err)
		}
		raw, err := signer.MarshalPrivate()
		if err != nil {
			return res, fmt.Errorf("encoding the key: %w", err)
		}
		// O_EXCL: never overwrite a key another run created meanwhile.
		if err := writeNew(keyPath, raw, 0o600); err != nil {
			return res, err
		}
		res.keyState = "created"
	default:
		return res, err
	}
	res.signer = signer

	jwksPath := filepath.Join(dir, DevJWKSFile)
	res.jwksState = "kept"
	if res.keyState == "created" || !exists(jwksPath) {
		set, err := devtoken.JWKS(signer)
		if err != nil {
			return res, fmt.Errorf("building the JWKS: %w", err)
		}
		// The JWKS is public; write it atomically so a gateway watching the
		// file never reads half of it.
		if err := writeAtomic(jwksPath, append(set, '\n'), 0o644); err != nil {
			return res, err
		}
		res.jwksState = "written"
	}
	return res, nil
}

// loadDevSigner reads <dir>/dev-signing-key.json; the error wraps
// fs.ErrNotExist when there is none.
func loadDevSigner(dir string) (*devtoken.Signer, error) {
	path := filepath.Join(dir, DevKeyFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	s, err := devtoken.LoadSigner(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func writeAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
