# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tocsin_global_optspecs
    string join \n config= h/help V/version
end

function __fish_tocsin_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tocsin_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tocsin_using_subcommand
    set -l cmd (__fish_tocsin_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tocsin -n "__fish_tocsin_needs_command" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_needs_command" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_needs_command" -s V -l version -d 'Print version'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "run" -d 'Run the daemon: poll on schedule, publish, serve HTTP, until SIGTERM/SIGINT'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "poll" -d 'Poll all (or the named) sources once, store, publish, print a summary'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "status" -d 'How every source is doing: last poll, errors, failures, next due time, adopted URL, item counts. Reads the database only'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "check" -d 'Validate the config; exit 0, or print every problem and exit 3'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "render" -d 'Publish the output files again from the database, without polling'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "items" -d 'List stored items, newest first'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "mark" -d 'An editor\'s decision on one stored item, which wins over the rules at every re-classification: shown in its reasons ("marked by an editor", with the note) and published at once (a running daemon publishes it at its next heartbeat, within 20 s)'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "rules" -d 'Work with the rules'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "inspect" -d 'Parse files or URLs without storing; print the items as JSON lines with the classification the current rules give. With --source or --html, show what an HTML source\'s selectors extract instead'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "discover" -d 'Find a site\'s feeds from its address (or read its listing without selectors) and print a ready [[sources]] entry. Needs no config file; with one, uses its [fetch] settings and shows each entry\'s verdict under its rules'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "opml" -d 'Export the configured sources as OPML, or print config entries for an OPML file'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "notify" -d 'Alert channels (`[[notify]]`): list them, or send a test alert'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "man" -d 'Print the manual page (roff) to standard output'
complete -c tocsin -n "__fish_tocsin_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand run" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand run" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand poll" -l source -d 'Only this source (repeatable)' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand poll" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand poll" -l force -d 'Also poll sources that a server (Retry-After, Cache-Control) or their backoff asked to wait'
complete -c tocsin -n "__fish_tocsin_using_subcommand poll" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand status" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand status" -l json -d 'One JSON array'
complete -c tocsin -n "__fish_tocsin_using_subcommand status" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand check" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand check" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand render" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand render" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand items" -l source -d 'Only items from this source (repeatable)' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand items" -l limit -d 'At most this many items' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand items" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand items" -l urgent -d 'Only urgent items'
complete -c tocsin -n "__fish_tocsin_using_subcommand items" -l json -d 'One JSON object per line'
complete -c tocsin -n "__fish_tocsin_using_subcommand items" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand mark" -l note -d 'Why (shown with the mark)' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand mark" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand mark" -l urgent -d 'The item is urgent, whatever the rules say'
complete -c tocsin -n "__fish_tocsin_using_subcommand mark" -l not-urgent -d 'The item is not urgent, whatever the rules say'
complete -c tocsin -n "__fish_tocsin_using_subcommand mark" -l clear -d 'Remove the mark: the rules decide again'
complete -c tocsin -n "__fish_tocsin_using_subcommand mark" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and not __fish_seen_subcommand_from test help" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and not __fish_seen_subcommand_from test help" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and not __fish_seen_subcommand_from test help" -f -a "test" -d 'Re-run the current rules over the stored items and print what would change (newly urgent, no longer urgent, dropped), without writing anything'
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and not __fish_seen_subcommand_from test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and __fish_seen_subcommand_from test" -l source -d 'Only items from this source (repeatable)' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and __fish_seen_subcommand_from test" -l since -d 'Only items published on or after this date (YYYY-MM-DD, or RFC 3339)' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and __fish_seen_subcommand_from test" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "test" -d 'Re-run the current rules over the stored items and print what would change (newly urgent, no longer urgent, dropped), without writing anything'
complete -c tocsin -n "__fish_tocsin_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand inspect" -l source -d 'Fetch this configured source now and show what its selectors extract' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand inspect" -l html -d 'Offline: apply the selectors in SELECTORS.toml to a saved page; with the page alone, show what detection finds on it and the selectors it proposes' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand inspect" -l base -d 'With --html: the URL the page was saved from, so relative links resolve as on the site (default: the saved file\'s own location)' -r
complete -c tocsin -n "__fish_tocsin_using_subcommand inspect" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand discover" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand discover" -l json -d 'One JSON object'
complete -c tocsin -n "__fish_tocsin_using_subcommand discover" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and not __fish_seen_subcommand_from export import help" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and not __fish_seen_subcommand_from export import help" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and not __fish_seen_subcommand_from export import help" -f -a "export" -d 'Print the configured sources as an OPML 2.0 subscription list'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and not __fish_seen_subcommand_from export import help" -f -a "import" -d 'Print `[[sources]]` entries for the feeds of an OPML file that are not configured yet, to paste into the config (the config is not changed)'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and not __fish_seen_subcommand_from export import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and __fish_seen_subcommand_from export" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and __fish_seen_subcommand_from import" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print the configured sources as an OPML 2.0 subscription list'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and __fish_seen_subcommand_from help" -f -a "import" -d 'Print `[[sources]]` entries for the feeds of an OPML file that are not configured yet, to paste into the config (the config is not changed)'
complete -c tocsin -n "__fish_tocsin_using_subcommand opml; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and not __fish_seen_subcommand_from list test help" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and not __fish_seen_subcommand_from list test help" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and not __fish_seen_subcommand_from list test help" -f -a "list" -d 'The channels: kind, target, filters, mode, last delivery, what is pending or failed. Reads the database only'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and not __fish_seen_subcommand_from list test help" -f -a "test" -d 'Send a sample alert through one channel now (outside the outbox) and print what the server answered'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and not __fish_seen_subcommand_from list test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from list" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from list" -l json -d 'One JSON array'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from test" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "list" -d 'The channels: kind, target, filters, mode, last delivery, what is pending or failed. Reads the database only'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "test" -d 'Send a sample alert through one channel now (outside the outbox) and print what the server answered'
complete -c tocsin -n "__fish_tocsin_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand completions" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand completions" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand man" -l config -d 'The config file' -r -F
complete -c tocsin -n "__fish_tocsin_using_subcommand man" -s h -l help -d 'Print help'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "run" -d 'Run the daemon: poll on schedule, publish, serve HTTP, until SIGTERM/SIGINT'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "poll" -d 'Poll all (or the named) sources once, store, publish, print a summary'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "status" -d 'How every source is doing: last poll, errors, failures, next due time, adopted URL, item counts. Reads the database only'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "check" -d 'Validate the config; exit 0, or print every problem and exit 3'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "render" -d 'Publish the output files again from the database, without polling'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "items" -d 'List stored items, newest first'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "mark" -d 'An editor\'s decision on one stored item, which wins over the rules at every re-classification: shown in its reasons ("marked by an editor", with the note) and published at once (a running daemon publishes it at its next heartbeat, within 20 s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "rules" -d 'Work with the rules'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "inspect" -d 'Parse files or URLs without storing; print the items as JSON lines with the classification the current rules give. With --source or --html, show what an HTML source\'s selectors extract instead'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "discover" -d 'Find a site\'s feeds from its address (or read its listing without selectors) and print a ready [[sources]] entry. Needs no config file; with one, uses its [fetch] settings and shows each entry\'s verdict under its rules'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "opml" -d 'Export the configured sources as OPML, or print config entries for an OPML file'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "notify" -d 'Alert channels (`[[notify]]`): list them, or send a test alert'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "man" -d 'Print the manual page (roff) to standard output'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and not __fish_seen_subcommand_from run poll status check render items mark rules inspect discover opml notify completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "test" -d 'Re-run the current rules over the stored items and print what would change (newly urgent, no longer urgent, dropped), without writing anything'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and __fish_seen_subcommand_from opml" -f -a "export" -d 'Print the configured sources as an OPML 2.0 subscription list'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and __fish_seen_subcommand_from opml" -f -a "import" -d 'Print `[[sources]]` entries for the feeds of an OPML file that are not configured yet, to paste into the config (the config is not changed)'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and __fish_seen_subcommand_from notify" -f -a "list" -d 'The channels: kind, target, filters, mode, last delivery, what is pending or failed. Reads the database only'
complete -c tocsin -n "__fish_tocsin_using_subcommand help; and __fish_seen_subcommand_from notify" -f -a "test" -d 'Send a sample alert through one channel now (outside the outbox) and print what the server answered'
