package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sqlstore"
)

const adminUsage = `Usage: callfloor admin <command> [flags]

Commands:
  create-account  --name N [--time-zone TZ] [--licence-kind K] [--agent-licences N]
  set-licence     --account N --licence-kind K --agent-licences N
  list-accounts
  create-user     --account N --username U --role R [--name NAME] [--extension NUM] [--password-stdin]
  reset-password  --account N --username U [--password-stdin]
  drain NODE      [--wait D]   a cluster node gives its accounts to the others
                               (each once it has no call); --wait waits up to D
  undrain NODE                 the node takes its share of accounts again
  cluster-status               the live nodes, who drains, who owns how many

Every command also takes the store settings of "callfloor serve" (--config,
--data, --database); the cluster commands also its --nats, --cluster and
--cluster-ttl. Without --password-stdin a random password is made and
printed once. Licence kinds: none, agent_extensions, queue_agent_analytics.
`

type adminCmd struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	store  callfloor.Store
	hasher *password.Hasher

	name, timeZone, licenceKind, account, username, role, fullName, extension string
	licences                                                                  int
	passwordStdin                                                             bool

	// node is the cluster commands' NODE; cfg their settings; wait how
	// long drain waits for the node to own nothing.
	node string
	cfg  Config
	wait time.Duration
}

func runAdmin(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, adminUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c := &adminCmd{ctx: ctx, stdin: stdin, stdout: stdout, hasher: password.New(password.Default)}
	sub := args[0]
	if (sub == "drain" || sub == "undrain") && len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		c.node, args = args[1], append([]string{sub}, args[2:]...)
	}
	do, flags := c.command(sub)
	if do == nil {
		fmt.Fprintf(stderr, "callfloor admin: unknown command %q\n\n%s", sub, adminUsage)
		return errUsage
	}
	cfg, err := LoadConfig("admin "+sub, args[1:], env, false, flags)
	if err != nil {
		return err
	}
	c.cfg = cfg
	logger := cfg.Logger(os.Stderr)
	st, err := openStore(ctx, cfg, sqlstore.Options{Clock: callfloor.SystemClock{}, Logger: logger})
	if err != nil {
		return err
	}
	defer st.Close()
	c.store = st
	if err := do(); err != nil {
		return errors.New(callfloor.ErrorMessage(err) + field(err))
	}
	return nil
}

func field(err error) string {
	if f := callfloor.ErrorField(err); f != "" {
		return " (" + f + ")"
	}
	return ""
}

// command returns the action for sub and the flags it takes.
func (c *adminCmd) command(sub string) (func() error, func(*flag.FlagSet)) {
	accountFlag := func(fs *flag.FlagSet) { fs.StringVar(&c.account, "account", "", "account name") }
	licenceFlags := func(fs *flag.FlagSet) {
		fs.StringVar(&c.licenceKind, "licence-kind", "none", "agent activation: none, agent_extensions or queue_agent_analytics")
		fs.IntVar(&c.licences, "agent-licences", 0, "number of agent licences")
	}
	pwFlag := func(fs *flag.FlagSet) {
		fs.BoolVar(&c.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	}
	switch sub {
	case "create-account":
		return c.createAccount, func(fs *flag.FlagSet) {
			fs.StringVar(&c.name, "name", "", "account name (used to log in)")
			fs.StringVar(&c.timeZone, "time-zone", "UTC", "IANA time zone, e.g. Europe/London")
			licenceFlags(fs)
		}
	case "set-licence":
		return c.setLicence, func(fs *flag.FlagSet) { accountFlag(fs); licenceFlags(fs) }
	case "list-accounts":
		return c.listAccounts, nil
	case "create-user":
		return c.createUser, func(fs *flag.FlagSet) {
			accountFlag(fs)
			fs.StringVar(&c.username, "username", "", "login name")
			fs.StringVar(&c.fullName, "name", "", "display name (default: the username)")
			fs.StringVar(&c.role, "role", "admin", "admin, supervisor or agent")
			fs.StringVar(&c.extension, "extension", "", "extension number the user is bound to (required for agents)")
			pwFlag(fs)
		}
	case "drain":
		return c.drain, func(fs *flag.FlagSet) {
			fs.DurationVar(&c.wait, "wait", 0, "wait up to this long for the node to own no account, e.g. 10m; 0: do not wait")
		}
	case "undrain":
		return c.undrain, nil
	case "cluster-status":
		return c.clusterStatus, nil
	case "reset-password":
		return c.resetPassword, func(fs *flag.FlagSet) {
			accountFlag(fs)
			fs.StringVar(&c.username, "username", "", "login name")
			pwFlag(fs)
		}
	}
	return nil, nil
}

func (c *adminCmd) createAccount() error {
	a := &callfloor.Account{Name: c.name, TimeZone: c.timeZone,
		LicenceKind: callfloor.LicenceKind(c.licenceKind), AgentLicences: c.licences}
	if err := c.store.CreateAccount(c.ctx, a); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created account %q (id %d, %s, licences: %s x %d)\n", a.Name, a.ID, a.TimeZone, a.LicenceKind, a.AgentLicences)
	return nil
}

func (c *adminCmd) findAccount() (*callfloor.Account, error) {
	if c.account == "" {
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "--account", "--account is required")
	}
	return c.store.FindAccountByName(c.ctx, c.account)
}

func (c *adminCmd) setLicence() error {
	a, err := c.findAccount()
	if err != nil {
		return err
	}
	a, err = c.store.UpdateAccount(c.ctx, a.ID, func(a *callfloor.Account) error {
		a.LicenceKind = callfloor.LicenceKind(c.licenceKind)
		a.AgentLicences = c.licences
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "account %q: licences %s x %d (%d in use)\n", a.Name, a.LicenceKind, a.AgentLicences, a.AgentsInUse)
	return nil
}

func (c *adminCmd) listAccounts() error {
	all, err := c.store.ListAccounts(c.ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTIME ZONE\tLICENCE\tAGENTS")
	for _, a := range all {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\n", a.ID, a.Name, a.TimeZone, a.LicenceKind, a.AgentsInUse, a.AgentLicences)
	}
	return tw.Flush()
}

func (c *adminCmd) createUser() error {
	a, err := c.findAccount()
	if err != nil {
		return err
	}
	ctx := callfloor.SystemContext(c.ctx, a.ID)
	u := &callfloor.User{Username: c.username, Name: c.fullName, Role: callfloor.Role(c.role)}
	if c.extension != "" {
		exts, err := c.store.ListExtensions(ctx)
		if err != nil {
			return err
		}
		for _, e := range exts {
			if e.Number == c.extension {
				u.ExtensionID = &e.ID
			}
		}
		if u.ExtensionID == nil {
			return callfloor.FieldError(callfloor.ErrInvalidReference, "--extension", "account %q has no extension %s", a.Name, c.extension)
		}
	}
	pw, generated, err := c.password()
	if err != nil {
		return err
	}
	if u.PasswordHash, err = c.hasher.Hash(pw); err != nil {
		return err
	}
	if err := c.store.CreateUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created %s %q in account %q\n", u.Role, u.Username, a.Name)
	if generated {
		fmt.Fprintf(c.stdout, "password: %s\n", pw)
	}
	return nil
}

func (c *adminCmd) resetPassword() error {
	a, err := c.findAccount()
	if err != nil {
		return err
	}
	u, _, err := c.store.FindCredentials(c.ctx, a.Name, c.username)
	if err != nil {
		return err
	}
	pw, generated, err := c.password()
	if err != nil {
		return err
	}
	hash, err := c.hasher.Hash(pw)
	if err != nil {
		return err
	}
	ctx := callfloor.SystemContext(c.ctx, a.ID)
	if _, err := c.store.UpdateUser(ctx, u.ID, func(u *callfloor.User) error { u.PasswordHash = hash; return nil }); err != nil {
		return err
	}
	if err := c.store.DeleteUserSessions(c.ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password of %q in account %q reset; their sessions are ended and any lockout lifted\n", u.Username, a.Name)
	if generated {
		fmt.Fprintf(c.stdout, "password: %s\n", pw)
	}
	return nil
}

// password reads the new password from stdin or makes a random one.
func (c *adminCmd) password() (pw string, generated bool, err error) {
	if !c.passwordStdin {
		b := make([]byte, 15)
		if _, err := rand.Read(b); err != nil {
			return "", false, err
		}
		return strings.ToLower(base32.StdEncoding.EncodeToString(b)), true, nil
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", false, fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw = strings.TrimRight(line, "\r\n")
	if err := password.Check("password", pw); err != nil {
		return "", false, err
	}
	return pw, false, nil
}
