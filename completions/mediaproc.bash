_mediaproc_completion() {
    # bash's own words (quotes and backslashes honoured: my\ photo.jpg is one word), with the pieces
    # it cut at COMP_WORDBREAKS (: and =) joined again where no blank separated them
    local line="${COMP_LINE:0:COMP_POINT}" rest trimmed w i
    local -a words=()
    rest="$line"
    for (( i = 0; i <= COMP_CWORD; i++ )); do
        trimmed="${rest#"${rest%%[![:blank:]]*}"}"
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
    local keep="${cur%"${cur##*[:=]}"}"
    local IFS=$'\n'
    local -a replies=( $( env COMP_WORDS="${words[*]}" COMP_CWORD="$cword" \
                          _MEDIAPROC_COMPLETE=complete_bash "$1" 2>/dev/null ) )
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

complete -o default -F _mediaproc_completion mediaproc
