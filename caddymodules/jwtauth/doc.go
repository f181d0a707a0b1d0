package jwtauth
