"""Shell-completion scripts: typer's, with bash taught to complete ``resize:w=`` in place.

Bash splits the word being completed at every ``COMP_WORDBREAKS`` character, ``:`` and ``=`` among
them, so typer's stock script would send ``resize : w =`` to the completer and bash would then
replace only the text after the last ``=``. This script rebuilds the words from ``COMP_LINE``
(whitespace only), and strips from each candidate the part bash already considers typed. It is
registered with typer, so ``--install-completion``, ``--show-completion`` and ``completions/`` agree.
"""

from __future__ import annotations

# A %-template like typer's own (literal % doubled).
BASH_SCRIPT = r"""
%(complete_func)s() {
    # bash's own words (quotes and backslashes honoured: my\ photo.jpg is one word), with the pieces
    # it cut at COMP_WORDBREAKS (: and =) joined again where no blank separated them
    local line="${COMP_LINE:0:COMP_POINT}" rest trimmed w i
    local -a words=()
    rest="$line"
    for (( i = 0; i <= COMP_CWORD; i++ )); do
        trimmed="${rest#"${rest%%%%[![:blank:]]*}"}"
        if (( i == COMP_CWORD )); then w="$trimmed"; else w="${COMP_WORDS[i]}"; fi
        if (( i > 0 && ${#trimmed} == ${#rest} )); then
            words[${#words[@]}-1]+="$w"
        else
            words+=("$w")
        fi
        rest="${trimmed#"$w"}"
    done
    local cword=$(( ${#words[@]} - 1 ))
    local cur="${words[cword]}"
    local keep="${cur%%"${cur##*[:=]}"}"
    local IFS=$'\n'
    local -a replies=( $( env COMP_WORDS="${words[*]}" COMP_CWORD="$cword" \
                          %(autocomplete_var)s=complete_bash "$1" 2>/dev/null ) )
    COMPREPLY=( "${replies[@]#"$keep"}" )
    if (( ${#COMPREPLY[@]} )); then
        # file names: bash quotes what it inserts (a space, #, quotes), so my<Tab> gives my\ photo.jpg
        local reply paths=1
        for reply in "${replies[@]}"; do [[ -e "$reply" ]] || { paths=0; break; }; done
        (( paths )) && compopt -o filenames 2>/dev/null
        [[ "${COMPREPLY[0]}" == *[:=/] ]] && compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""


def install() -> None:
    """Make typer use our bash script. Guarded: an unexpected typer layout keeps typer's own."""
    try:
        from typer import _completion_classes, _completion_shared
    except ImportError:  # pragma: no cover - typer without its completion modules
        return
    scripts = getattr(_completion_shared, "_completion_scripts", None)
    if isinstance(scripts, dict) and "bash" in scripts:
        scripts["bash"] = BASH_SCRIPT
    bash = getattr(_completion_classes, "BashComplete", None)
    if bash is not None and hasattr(bash, "source_template"):
        bash.source_template = BASH_SCRIPT


def script(shell: str, prog_name: str = "mediaproc") -> str:
    """The completion script for ``shell`` exactly as ``--show-completion`` prints it."""
    from typer._completion_shared import get_completion_script

    install()
    complete_var = "_" + prog_name.replace("-", "_").upper() + "_COMPLETE"
    return get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell) + "\n"
