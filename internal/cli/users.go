package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newUsersCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage accounts (Admin)",
		Long: `Manage accounts: create, list, show, change, disable and enable them, and reset
their second factors. Commands that take a USER accept an id or a username.`,
	}
	cmd.AddCommand(newUsersListCommand(a), newUsersCreateCommand(a), newUsersShowCommand(a), newUsersUpdateCommand(a),
		newUsersDisableCommand(a, true), newUsersDisableCommand(a, false), newUsersResetMFACommand(a))
	return cmd
}

func userFields(u client.User) []output.Field {
	return []output.Field{
		{Key: "USERNAME", Value: u.Username},
		{Key: "ID", Value: u.ID},
		{Key: "EMAIL", Value: u.Email},
		{Key: "ROLE", Value: u.Role},
		{Key: "TEAM", Value: u.Team},
		{Key: "GROUPS", Value: output.List(u.Groups)},
		{Key: "MFA", Value: output.Bool(u.MFAEnabled)},
		{Key: "DISABLED", Value: output.Bool(u.Disabled)},
	}
}

// printUser prints one account as the API object ({"user": ...}) or as
// key-value lines.
func (a *app) printUser(u client.User) error {
	return a.print(map[string]any{"user": u}, func(w io.Writer) error {
		fields := append(userFields(u),
			output.Field{Key: "CREATED", Value: output.Time(u.CreatedAt)},
			output.Field{Key: "UPDATED", Value: output.Time(u.UpdatedAt)})
		return output.KeyValues(w, fields)
	})
}

// resolveUser finds an account by id, else by username.
func resolveUser(ctx context.Context, c *client.Client, ref string) (client.User, error) {
	u, err := c.GetUser(ctx, ref)
	if !client.IsCode(err, client.CodeNotFound) {
		return u, err
	}
	users, lerr := c.ListUsers(ctx)
	if lerr != nil {
		return u, lerr
	}
	for _, u := range users {
		if u.Username == ref {
			return u, nil
		}
	}
	return client.User{}, fmt.Errorf("no user with id or username %q", output.Cell(ref))
}

// user opens a command that acts on the account USER names (see client and
// resolveUser).
func (a *app) user(cmd *cobra.Command, ref string) (*client.Client, client.User, error) {
	c, err := a.client(cmd)
	if err != nil {
		return nil, client.User{}, err
	}
	u, err := resolveUser(cmd.Context(), c, ref)
	return c, u, err
}

func newUsersListCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).ListUsers, func(users []client.User) error {
				return a.print(map[string]any{"users": nonNil(users)}, func(w io.Writer) error {
					rows := make([][]string, 0, len(users))
					for _, u := range users {
						rows = append(rows, []string{u.ID, u.Username, u.Role, u.Team, output.List(u.Groups),
							output.Bool(u.MFAEnabled), output.Bool(u.Disabled), output.Time(u.CreatedAt)})
					}
					return output.Table(w, []string{"ID", "USERNAME", "ROLE", "TEAM", "GROUPS", "MFA", "DISABLED", "CREATED"}, rows)
				})
			})
		},
	}
}

func newUsersCreateCommand(a *app) *cobra.Command {
	var (
		in            client.NewUser
		passwordStdin bool
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an account",
		Long: `Create an account. The password is asked twice without echo, or read from the
first line of stdin with --password-stdin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			if in.Password, err = a.newPassword(passwordStdin, in.Username); err != nil {
				return err
			}
			in.Groups = nonEmpty(in.Groups)
			u, err := c.CreateUser(cmd.Context(), in)
			if err != nil {
				return fmt.Errorf("creating user %q: %w", output.Cell(in.Username), err)
			}
			return a.printUser(u)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Username, "username", "", "username (required)")
	f.StringVar(&in.Role, "role", "", "role: Admin, Operator, Developer, Auditor or Viewer (required)")
	f.StringVar(&in.Email, "email", "", "email address")
	f.StringVar(&in.Team, "team", "", "team")
	f.StringSliceVar(&in.Groups, "groups", nil, "groups, comma-separated")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	_ = cmd.MarkFlagRequired("username")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

// newPassword reads a password to set: from stdin when asked, else twice
// from the terminal so that a typo does not lock the user out.
func (a *app) newPassword(fromStdin bool, username string) (string, error) {
	pw, err := a.password(fromStdin, "New password for "+username+": ")
	if err != nil || fromStdin {
		return pw, err
	}
	again, err := a.readSecret("Again: ", "password")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}

func newUsersShowCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show USER",
		Short: "Show an account",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, u, err := a.user(cmd, args[0])
			if err != nil {
				return err
			}
			return a.printUser(u)
		},
	}
}

func newUsersUpdateCommand(a *app) *cobra.Command {
	var (
		role, team    string
		groups        []string
		passwordStdin bool
		password      bool
	)
	cmd := &cobra.Command{
		Use:   "update USER",
		Short: "Change an account's role, team, groups or password",
		Long: `Change an account: only the flags given change. --password asks for a new
password (or reads it from stdin with --password-stdin).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch client.UserChange
			fl := cmd.Flags()
			if fl.Changed("role") {
				ch.Role = &role
			}
			if fl.Changed("team") {
				ch.Team = &team
			}
			if fl.Changed("groups") {
				g := nonEmpty(groups)
				ch.Groups = &g
			}
			c, u, err := a.user(cmd, args[0])
			if err != nil {
				return err
			}
			if password || passwordStdin {
				pw, err := a.newPassword(passwordStdin, u.Username)
				if err != nil {
					return err
				}
				ch.Password = &pw
			}
			if ch == (client.UserChange{}) {
				return errors.New("nothing to change: give --role, --team, --groups or --password")
			}
			updated, err := c.UpdateUser(cmd.Context(), u.ID, ch)
			if err != nil {
				return fmt.Errorf("updating user %q: %w", output.Cell(u.Username), err)
			}
			return a.printUser(updated)
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "new role")
	f.StringVar(&team, "team", "", "new team")
	f.StringSliceVar(&groups, "groups", nil, "new groups, comma-separated (replace the old ones; \"\" for none)")
	f.BoolVar(&password, "password", false, "set a new password (asked twice)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "set a new password read from the first line of stdin")
	return cmd
}

func newUsersDisableCommand(a *app, disable bool) *cobra.Command {
	verb, short := "enable", "Enable a disabled account"
	if disable {
		verb, short = "disable", "Disable an account; all its tokens and sessions are revoked"
	}
	return &cobra.Command{
		Use:   verb + " USER",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, u, err := a.user(cmd, args[0])
			if err != nil {
				return err
			}
			updated, err := c.UpdateUser(cmd.Context(), u.ID, client.UserChange{Disabled: &disable})
			if err != nil {
				return fmt.Errorf("%s user %q: %w", strings.TrimSuffix(verb, "e")+"ing", output.Cell(u.Username), err)
			}
			return a.printUser(updated)
		},
	}
}

func newUsersResetMFACommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-mfa USER",
		Short: "Remove every second factor of an account (when its owner lost them)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.loggedIn(cmd.Context(), false)
			if err != nil {
				return err
			}
			u, err := resolveUser(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.ResetMFA(cmd.Context(), u.ID); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "Removed every second factor of %s; they can enroll again after their next login.\n", output.Cell(u.Username))
			return err
		},
	}
}
