# edited on Windows
export FOO=bar
alias ll="ls -l"
