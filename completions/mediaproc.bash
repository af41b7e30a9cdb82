_mediaproc_completion() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words=()
    IFS=$' \t' read -r -a words <<< "$line"
    if [[ -z "$line" || "$line" =~ [[:space:]]$ ]]; then words+=(""); fi
    local cword=$(( ${#words[@]} - 1 ))
    local cur="${words[cword]}"
    local keep="${cur%"${cur##*[:=]}"}"
    local IFS=$'\n'
    local -a replies=( $( env COMP_WORDS="${words[*]}" COMP_CWORD="$cword" \
                          _MEDIAPROC_COMPLETE=complete_bash "$1" 2>/dev/null ) )
    COMPREPLY=( "${replies[@]#"$keep"}" )
    if (( ${#COMPREPLY[@]} )) && [[ "${COMPREPLY[0]}" == *[:=/] ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -o default -F _mediaproc_completion mediaproc
