package graphfake
