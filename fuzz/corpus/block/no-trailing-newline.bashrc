# aliases
alias ll="ls -l"
export FOO=bar